process.stdout.write('citrix-flow-lint: no commands yet\n');
