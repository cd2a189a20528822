/**
 * The two dialogs: rotate a key (password inputs for the connector's secrets, emptied whatever
 * happens) and confirm a delete. Both are native `<dialog>`s: modal, Escape closes, focus returns.
 */
import type { ConnectorView, IntegrationView } from "../../client.js";
import { byId } from "./dom.js";
import { clearSecrets, collect, fieldInput } from "./fields.js";

let onRotate: ((credentials: Record<string, string>) => Promise<void>) | undefined;
let onDelete: (() => Promise<void>) | undefined;

/** Opens the rotate dialog for an integration; `submit` gets the new secret values. */
export function openRotate(
  integration: IntegrationView,
  connector: ConnectorView | undefined,
  submit: (credentials: Record<string, string>) => Promise<void>,
): void {
  const secretNames = new Set(Object.keys(integration.secretsReferences));
  const fields = (connector?.fields ?? []).filter(
    (field) => field.secret && (secretNames.size === 0 || secretNames.has(field.name)),
  );
  byId("rotate-title").textContent = `Rotate key: ${integration.name}`;
  byId("rotate-fields").replaceChildren(...fields.map((field) => fieldInput(field, "rotate", true)));
  byId("rotate-error").textContent = "";
  onRotate = submit;
  byId<HTMLDialogElement>("rotate-dialog").showModal();
}

/** Asks before deleting `name`; `confirmed` runs on yes. */
export function confirmDelete(name: string, confirmed: () => Promise<void>): void {
  byId("delete-text").textContent =
    `Delete “${name}”? This removes the integration and the credentials created for it. It cannot be undone.`;
  onDelete = confirmed;
  byId<HTMLDialogElement>("delete-dialog").showModal();
}

/** Wires the dialogs' buttons once. */
export function setUpDialogs(): void {
  const rotateDialog = byId<HTMLDialogElement>("rotate-dialog");
  const rotateForm = byId<HTMLFormElement>("rotate-form");
  rotateDialog.addEventListener("close", () => clearSecrets(rotateForm));
  byId("rotate-cancel").addEventListener("click", () => rotateDialog.close());
  rotateForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const { secrets } = collect(rotateForm);
    clearSecrets(rotateForm);
    rotateDialog.close();
    void onRotate?.(secrets);
  });
  const deleteDialog = byId<HTMLDialogElement>("delete-dialog");
  byId("delete-cancel").addEventListener("click", () => deleteDialog.close());
  byId<HTMLFormElement>("delete-form").addEventListener("submit", (event) => {
    event.preventDefault();
    deleteDialog.close();
    void onDelete?.();
  });
}
