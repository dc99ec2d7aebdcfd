import type { Catalog } from '../catalog';
import type { Vocabulary } from './vocabulary';

/**
 * The vocabulary citrix-flows.yaml and annotations are read with: the
 * catalog's roles (a role's display name counts as one more alias), features
 * and products, and the ids of the registered checks.
 */
export function vocabularyFromCatalog(catalog: Pick<Catalog, 'roles' | 'features' | 'products'>, checkIds: readonly string[]): Vocabulary {
  return {
    roles: catalog.roles.map((r) => ({ id: r.id, aliases: [r.name, ...r.aliases] })),
    features: catalog.features.map((f) => ({ id: f.id, default: f.default })),
    checks: [...checkIds],
    products: catalog.products.map((p) => p.id),
  };
}
