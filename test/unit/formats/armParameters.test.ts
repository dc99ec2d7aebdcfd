// ARM templates whose parameters have no defaultValue get their values from the parameter file beside them, as a
// deployment would (`az deployment group create --parameters @azuredeploy.parameters.json`): in the parser, in the
// CLI (read from disk through the gate), and in the language server (read again when the file changes on disk).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadAndAnalyze } from '../../../server/src/engine/batch';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import { parameterFileFor } from '../../../server/src/formats/arm';
import { Workspace } from '../../../server/src/service/workspace';
import { fixturePath } from '../../helpers/fixtures';

before(async () => {
  await initTreeSitter();
});

const TEMPLATE = JSON.stringify(
  {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: { vmName: { type: 'string' }, controllerIps: { type: 'array' } },
    resources: [
      {
        type: 'Microsoft.Network/networkSecurityGroups',
        apiVersion: '2023-09-01',
        name: "[concat(parameters('vmName'), '-nsg')]",
        location: 'westeurope',
        properties: {
          securityRules: [
            {
              name: 'Allow-Registration',
              properties: { priority: 100, direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourcePortRange: '*', destinationPortRange: '80', sourceAddressPrefixes: "[parameters('controllerIps')]", destinationAddressPrefix: '*' },
            },
          ],
        },
      },
    ],
  },
  null,
  2,
);

const parametersFile = (vmName: string, ips: readonly string[]): string =>
  JSON.stringify({ $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#', contentVersion: '1.0.0.0', parameters: { vmName: { value: vmName }, controllerIps: { value: ips } } }, null, 2);

test('a parameter without a default takes the value of the parameter file, reported at its declaration', () => {
  const parsed = parseAs('arm', TEMPLATE, 'file:///ws/azuredeploy.json', { siblingFiles: new Map([['/ws/azuredeploy.parameters.json', parametersFile('ctx-vda', ['10.0.3.10', '10.0.3.11'])]]) });
  assert.deepEqual(parsed.ruleSets.map((rs) => rs.name), ['ctx-vda-nsg']);
  const rule = parsed.ruleSets[0].rules.find((r) => r.name === 'Allow-Registration');
  assert.equal(rule?.source.value.toString(), '10.0.3.10/31');
  assert.deepEqual(rule?.unresolved, []);
  assert.deepEqual(parsed.namedAddresses?.map((n) => [n.name, n.addresses.toString(), n.valueFrom]), [['controllerIps', '10.0.3.10/31', 'azuredeploy.parameters.json']]);
  // Without the file the name and the sources stay unknown, and say why.
  const alone = parseAs('arm', TEMPLATE, 'file:///ws/azuredeploy.json');
  assert.match(alone.ruleSets[0].name, /parameters\('vmName'\)/);
  assert.match(alone.ruleSets[0].rules.find((r) => r.name === 'Allow-Registration')?.unresolved.map((u) => u.reason).join() ?? '', /parameter 'controllerIps' has no defaultValue/);
});

test('which parameter file goes with a template: its own name first, else the folder\'s only one, else none', () => {
  const p = (name: string, vm: string): [string, string] => [`/ws/${name}`, parametersFile(vm, [])];
  const vmOf = (uri: string, files: [string, string][]): string | undefined => {
    const found = parameterFileFor(uri, new Map(files));
    const v = found?.values.get('vmName');
    return v?.type === 'string' ? `${found?.file}: ${v.value}` : undefined;
  };
  assert.equal(vmOf('file:///ws/main.json', [p('main.parameters.json', 'a'), p('other.parameters.json', 'b')]), 'main.parameters.json: a');
  assert.equal(vmOf('file:///ws/template.json', [p('parameters.json', 'portal')]), 'parameters.json: portal', "the portal's export");
  assert.equal(vmOf('file:///ws/template.json', [p('dev.parameters.json', 'a'), p('prod.parameters.json', 'b')]), undefined, 'two environments: which one deploys is not written');
  assert.equal(vmOf('file:///ws/template.json', [['/ws/notes.json', '{"parameters": {"vmName": {"value": "x"}}}']]), undefined, 'a JSON file without the parameters schema is not one');
});

test('the CLI reads the parameter file beside the template', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-params-'));
  fs.writeFileSync(path.join(dir, 'azuredeploy.json'), TEMPLATE);
  fs.writeFileSync(path.join(dir, 'azuredeploy.parameters.json'), parametersFile('ctx-vda', ['10.0.3.10']));
  const loaded = await loadAndAnalyze([dir], {});
  assert.ok(!('error' in loaded));
  assert.deepEqual(loaded.analysis.files.flatMap((f) => f.ruleSets.map((rs) => rs.name)), ['ctx-vda-nsg']);
});

test('the language server reads it from disk, and again when it changes', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'arm-params-ls-'));
  const template = path.join(dir, 'azuredeploy.json');
  const params = path.join(dir, 'azuredeploy.parameters.json');
  fs.writeFileSync(template, TEMPLATE);
  fs.writeFileSync(params, parametersFile('ctx-vda', ['10.0.3.10']));
  const ws = new Workspace([dir]);
  const uri = pathToFileURL(template).href;
  const unit = ws.openOrChange({ uri, text: TEMPLATE, version: 1 });
  assert.deepEqual(unit.parsedFile(uri)?.ruleSets.map((rs) => rs.name), ['ctx-vda-nsg']);
  fs.writeFileSync(params, parametersFile('ctx-sf', ['10.0.3.10']));
  ws.fileChanged(pathToFileURL(params).href, 'changed');
  assert.deepEqual(unit.parsedFile(uri)?.ruleSets.map((rs) => rs.name), ['ctx-sf-nsg']);
});

test('with the parameter file, copied rules still join the NSG read once for all its copies', () => {
  const text = fs.readFileSync(fixturePath('arm', 'copy-rules-into-copied-nsg.json'), 'utf8');
  const find = (withFile: boolean) =>
    parseAs('arm', text, 'file:///ws/adc/template.json', withFile ? { siblingFiles: new Map([['/ws/adc/parameters.json', JSON.stringify({ $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#', parameters: { virtualMachineName: { value: 'citrix-adc-vpx' } } })]]) } : undefined);
  for (const withFile of [false, true]) {
    const parsed = find(withFile);
    const copied = parsed.ruleSets.find((rs) => rs.id === 'resources[0]');
    assert.ok(copied, `${withFile}: ${parsed.ruleSets.map((rs) => rs.name)}`);
    // The two ssh-22-rule copies are one rule of the NSG read once, before and after the names become known.
    assert.deepEqual(copied.rules.filter((r) => !r.implicit).map((r) => r.name), ['ssh-22-rule'], `with the parameter file: ${withFile}`);
    assert.equal(copied.name, withFile ? 'citrix-adc-vpx-nic01-nsg-[copyIndex()]' : "[parameters('virtualMachineName')]-nic01-nsg-[copyIndex()]");
    assert.deepEqual(parsed.problems.filter((p) => /is not declared in this file/.test(p.message)).map((p) => p.message), [withFile ? 'NSG citrix-adc-vpx-other-nsg is not declared in this file: only the rules written here are known' : "NSG [parameters('virtualMachineName')]-other-nsg is not declared in this file: only the rules written here are known"]);
  }
});

test('a NIC copied like its NSG (both named with copyIndex()) is associated with the NSG read once, with its subnet', () => {
  const text = JSON.stringify({
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: { vm: { type: 'string', defaultValue: 'adc' } },
    resources: [
      { type: 'Microsoft.Network/networkSecurityGroups', apiVersion: '2019-09-01', name: "[concat(parameters('vm'), '-nic11-nsg-', copyIndex())]", copy: { name: 'nsgs', count: 2 }, location: 'westeurope' },
      {
        type: 'Microsoft.Network/networkInterfaces',
        apiVersion: '2019-09-01',
        name: "[concat(parameters('vm'), '-nic11-', copyIndex())]",
        copy: { name: 'nics', count: 2 },
        location: 'westeurope',
        properties: {
          networkSecurityGroup: { id: "[resourceId('Microsoft.Network/networkSecurityGroups', concat(parameters('vm'), '-nic11-nsg-', copyIndex()))]" },
          ipConfigurations: [{ name: 'ip', properties: { subnet: { id: "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'subnet-adc-frontend')]" } } }],
        },
      },
    ],
  });
  const parsed = parseAs('arm', text, 'file:///ws/adc/azuredeploy.json');
  assert.deepEqual(parsed.ruleSets.map((rs) => [rs.name, rs.meta?.nicSubnets]), [['adc-nic11-nsg-[copyIndex()]', 'subnet:vnet/subnet-adc-frontend']]);
});
