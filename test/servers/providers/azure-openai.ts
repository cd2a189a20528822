/**
 * Azure OpenAI data plane on loopback, from its REST reference: `GET /openai/models` and
 * `POST /openai/deployments/{deployment}/chat/completions`, both requiring the `api-version`
 * query parameter and the key in the `api-key` header. Azure-shaped error bodies: 401 for a wrong
 * key, 404 `DeploymentNotFound` for an unknown deployment, 404 without an `api-version`.
 */
import { type LoopbackServer, presented, type Reply, startLoopback } from "./base.js";
import { chatCompletion } from "./openai.js";

const azureError = (status: number, code: string, message: string): Reply => ({
  status,
  body: { error: { code, message } },
});

export async function startAzureOpenAIServer(options: {
  apiKey: string;
  deployment: string;
  apiVersion: string;
}): Promise<LoopbackServer> {
  return startLoopback(
    (request) =>
      presented(request, "api-key") === options.apiKey
        ? undefined
        : azureError(
            401,
            "401",
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
          ),
    (request) => {
      const version = request.query.get("api-version");
      if (!version) return azureError(404, "404", "Resource not found");
      if (version !== options.apiVersion) return azureError(400, "BadRequest", "API version not supported");
      if (request.method === "GET" && request.path === "/openai/models") {
        return {
          status: 200,
          body: {
            object: "list",
            data: [
              {
                id: "gpt-4o-mini-2024-07-18",
                object: "model",
                status: "succeeded",
                created_at: 1721260800,
                lifecycle_status: "generally-available",
                capabilities: { chat_completion: true, completion: false, embeddings: false },
              },
            ],
          },
        };
      }
      const deployment = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(request.path)?.[1];
      if (request.method === "POST" && deployment !== undefined) {
        if (decodeURIComponent(deployment) !== options.deployment) {
          return azureError(
            404,
            "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
          );
        }
        return chatCompletion({ ...(request.body as Record<string, unknown>), model: "gpt-4o-mini" });
      }
      return undefined;
    },
  );
}
