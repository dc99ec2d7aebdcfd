import type { DocumentSelector } from 'vscode-languageclient/node';
import { servedLanguages } from '../../server/src/formats/descriptors';
import { TOPOLOGY_GLOB } from '../../server/src/formats/filePatterns';

// Documents the client hands to the server, from the format registry (a dependency-free module the client bundles). The
// server sniffs each (name, then first bytes) and serves only what it recognises, so a JSON, shell or plain-text file
// that holds no rules costs one sniff. Without the HashiCorp Terraform or Bicep extension, VS Code opens .tf and .bicep
// files as Plain Text: they are still ours to serve.
export const LANGUAGES: readonly string[] = servedLanguages();

export const DOCUMENT_SELECTOR: DocumentSelector = [...LANGUAGES.map((language) => ({ scheme: 'file', language })), { scheme: 'file', pattern: TOPOLOGY_GLOB }];
