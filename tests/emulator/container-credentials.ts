import type { IncomingHttpHeaders } from 'node:http';
import type { CredentialRecord } from './credential-store';
import { jsonReply, type Reply } from './http-helpers';
import { isoSeconds } from './sts-api';

/** Path prefix of the container credentials endpoint; AWS_CONTAINER_CREDENTIALS_FULL_URI points below it. */
export const CONTAINER_CREDENTIALS_PATH = '/container-credentials/';
export const CONTAINER_CREDENTIALS_OPERATION = 'ContainerCredentials';

/**
 * The credentials endpoint of ECS tasks and EKS Pod Identity: the SDK sends the
 * value of AWS_CONTAINER_AUTHORIZATION_TOKEN in the Authorization header and gets
 * the task role's credentials as JSON.
 */
export class ContainerCredentialsService {
  constructor(
    /** Path the credentials are served at, e.g. /container-credentials/task-1. */
    private readonly path: string,
    private readonly authorizationToken: () => string,
    private readonly roleCredentials: () => CredentialRecord,
  ) {}

  handle(method: string, path: string, headers: IncomingHttpHeaders): Reply {
    if (method !== 'GET' || path !== this.path) {
      return jsonReply(404, { code: 'NotFound', message: `No container credentials at ${method} ${path}` }, 'NotFound');
    }
    if (headers.authorization !== this.authorizationToken()) {
      return jsonReply(401, { code: 'InvalidToken', message: 'The authorization token is missing or not valid.' }, 'InvalidToken');
    }

    const credentials = this.roleCredentials();
    return jsonReply(200, {
      AccessKeyId: credentials.accessKeyId,
      SecretAccessKey: credentials.secretAccessKey,
      Token: credentials.sessionToken,
      Expiration: isoSeconds(credentials.expiration ?? new Date()),
      RoleArn: credentials.roleArn,
      AccountId: credentials.accountId,
    });
  }
}
