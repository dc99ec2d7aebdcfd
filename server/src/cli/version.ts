/** The package version, read at run time so the bundle and the manifest never disagree. */
export const VERSION: string = (() => {
  try {
    return (require('../../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
