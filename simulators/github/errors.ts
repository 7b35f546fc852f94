// GitHub's error bodies: `{message, documentation_url, status}` (status as a string, as GitHub
// has sent it since 2024), `errors[]` on 422 "Validation Failed".
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const DOCS = {
  root: 'https://docs.github.com/rest',
  getRepo: 'https://docs.github.com/rest/repos/repos#get-a-repository',
  getBranch: 'https://docs.github.com/rest/branches/branches#get-a-branch',
  getCommit: 'https://docs.github.com/rest/commits/commits#get-a-commit',
  createHook: 'https://docs.github.com/rest/repos/webhooks#create-a-repository-webhook',
  updateHook: 'https://docs.github.com/rest/repos/webhooks#update-a-repository-webhook',
  getHook: 'https://docs.github.com/rest/repos/webhooks#get-a-repository-webhook',
  deleteHook: 'https://docs.github.com/rest/repos/webhooks#delete-a-repository-webhook',
  pingHook: 'https://docs.github.com/rest/repos/webhooks#ping-a-repository-webhook',
  createDeployment: 'https://docs.github.com/rest/deployments/deployments#create-a-deployment',
  getDeployment: 'https://docs.github.com/rest/deployments/deployments#get-a-deployment',
  createStatus: 'https://docs.github.com/rest/deployments/statuses#create-a-deployment-status',
  listStatuses: 'https://docs.github.com/rest/deployments/statuses#list-deployment-statuses',
  rateLimit: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
  secondaryRateLimit: 'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
} as const;

export interface ValidationError {
  resource: string;
  code: string;
  field?: string;
  message?: string;
}

export function errorBody(status: number, message: string, documentationUrl: string = DOCS.root, errors?: ValidationError[]) {
  return { message, ...(errors ? { errors } : {}), documentation_url: documentationUrl, status: String(status) };
}

export function githubError(c: Context, status: ContentfulStatusCode, message: string, documentationUrl: string = DOCS.root): Response {
  return c.json(errorBody(status, message, documentationUrl), status);
}

export const notFound = (c: Context, documentationUrl: string = DOCS.root) => githubError(c, 404, 'Not Found', documentationUrl);

export function validationFailed(c: Context, errors: ValidationError[], documentationUrl: string): Response {
  return c.json(errorBody(422, 'Validation Failed', documentationUrl, errors), 422);
}
