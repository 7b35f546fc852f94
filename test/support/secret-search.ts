// The secret-grep of the no-leak tests: every place a secret could escape to, searched for each
// secret value (or a shape of secret, such as any GitHub installation token).
import { Client, Connection } from '@temporalio/client';
import { expect } from 'vitest';

/** The full event history of each workflow, as JSON text. */
export async function workflowHistories(temporalAddress: string, workflowIds: string[]): Promise<string> {
  const temporal = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
  try {
    const histories: string[] = [];
    for (const id of workflowIds) histories.push(JSON.stringify(await temporal.workflow.getHandle(id).fetchHistory()));
    return histories.join('\n');
  } finally {
    await temporal.connection.close();
  }
}

/** Fails naming the secret and the place for the first secret found anywhere. */
export function expectSecretsNowhere(secrets: Record<string, string | RegExp>, places: Record<string, string>): void {
  for (const [name, secret] of Object.entries(secrets)) {
    if (typeof secret === 'string') expect(secret.length, name).toBeGreaterThan(10);
    for (const [where, text] of Object.entries(places)) {
      const found = typeof secret === 'string' ? text.includes(secret) : secret.test(text);
      expect(found, `${name} found in ${where}`).toBe(false);
    }
  }
}
