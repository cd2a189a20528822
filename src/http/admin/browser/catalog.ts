/** The connector catalog, loaded once: display names, categories and each connector's fields. */
import type { ConnectorView } from "../../client.js";
import { api } from "./api.js";

const CATEGORY_LABELS: Readonly<Record<string, string>> = {
  ai_ml: "AI and machine learning",
  data_extraction: "Data extraction",
  http: "HTTP APIs",
  cloud: "Cloud",
};

let loaded: Promise<Map<string, ConnectorView>> | undefined;

/** Connector id → catalog entry. */
export function catalog(): Promise<Map<string, ConnectorView>> {
  loaded ??= api.connectors
    .list()
    .then(({ connectors }) => new Map(connectors.map((item) => [item.id, item])));
  return loaded;
}

/** A category's heading: known ones by name, others from their id (`data_extraction` → `Data extraction`). */
export function categoryLabel(category: string): string {
  const plain = category.replace(/_/g, " ");
  return CATEGORY_LABELS[category] ?? plain.charAt(0).toUpperCase() + plain.slice(1);
}
