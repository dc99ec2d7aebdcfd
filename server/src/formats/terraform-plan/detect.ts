/**
 * Whether a JSON text is `terraform show -json` output (of a plan or of the
 * state), from its first bytes: both start with `format_version` and name the
 * Terraform version; the raw `terraform.tfstate` file has neither shape
 * (`"version": 4`, `"resources"` at the top) and is not read.
 */
export function isTerraformShowJson(head: string): boolean {
  return /"format_version"\s*:/.test(head) && /"terraform_version"\s*:/.test(head) && /"(?:planned_values|values|resource_changes)"\s*:/.test(head);
}
