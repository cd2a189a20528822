/** The connector catalog: what a setup form needs for each connector. */
import { z } from "zod";
import { NotFoundError, UnknownConnectorError } from "../../core/errors.js";
import { type Route, route } from "../route.js";
import { ConnectorId, ConnectorList, ConnectorView } from "../schemas.js";
import { connectorView } from "../views.js";

export const catalogRoutes: readonly Route[] = [
  route({
    operationId: "listConnectors",
    method: "GET",
    path: "/connectors",
    tag: "connectors",
    summary: "The connector catalog",
    success: { status: 200, schema: ConnectorList, description: "Every registered connector" },
    errors: [],
    handle({ api }) {
      return { body: { connectors: api.registry.catalog().map(connectorView) } };
    },
  }),
  route({
    operationId: "getConnector",
    method: "GET",
    path: "/connectors/{id}",
    tag: "connectors",
    summary: "One connector of the catalog",
    params: z.strictObject({ id: ConnectorId }),
    success: { status: 200, schema: ConnectorView, description: "The connector" },
    errors: [400, 404],
    handle({ api, params }) {
      try {
        return { body: connectorView(api.registry.spec(params.id)) };
      } catch (error) {
        if (UnknownConnectorError.isInstance(error)) throw new NotFoundError("No such connector.");
        throw error;
      }
    },
  }),
];
