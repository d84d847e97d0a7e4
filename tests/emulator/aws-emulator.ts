import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { RegistryClient } from '../support/registry-client';
import { authenticate, jsonServiceAuthenticationError, stsAuthenticationError } from './authenticate';
import { AwsError } from './aws-error';
import { CONTAINER_CREDENTIALS_OPERATION, CONTAINER_CREDENTIALS_PATH, ContainerCredentialsService } from './container-credentials';
import type { CredentialInput, CredentialRecord } from './credential-store';
import { CredentialStore } from './credential-store';
import { EcrApi, type EcrCaller } from './ecr-api';
import { EcrImages, PushTimes } from './ecr-images';
import { type EcrRepository, RepositoryStore, type RepositorySettings } from './ecr-repositories';
import { type FaultOptions, FaultPlan } from './faults';
import { jsonReply, readBody, type Reply, textReply } from './http-helpers';
import { makeRequestId } from './identifiers';
import { INSTANCE_METADATA_OPERATIONS, InstanceMetadataService, type InstanceMetadataSettings } from './instance-metadata';
import { isOidcPath, type IssuedOidcToken, OIDC_AUDIENCE, OIDC_OPERATION, OidcTokenService } from './oidc';
import { RegistryFront } from './registry-front';
import type { EmulatedService, RecordedRequest, RegistryEvent } from './request-log';
import { type IssuedRoleSession, type RoleSettings, StsApi, UNSIGNED_STS_ACTIONS, type WebIdentityTokenSettings } from './sts-api';
import { stsErrorResponse, stsResponse } from './sts-xml';

export interface AwsEmulatorOptions {
  /** URL of the real registry the registry fronts forward to, e.g. http://127.0.0.1:5000. */
  readonly registryUrl: string;
  /** Password of the registry's AWS user; GetAuthorizationToken hands it out. */
  readonly registryPassword: string;
  /** Account of credentials added without one, and of the default registry. */
  readonly accountId?: string;
  /** Region of repositories created without a signed request, and of the instance metadata. */
  readonly region?: string;
  /** Serve the main endpoint over HTTPS with this certificate (see makeTestCertificateAuthority). */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

/** An IAM action denied to one access key, or to every caller when accessKeyId is left out. */
export interface DeniedAction {
  readonly action: string;
  readonly accessKeyId?: string;
}

const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const ECR_CONTENT_TYPE = 'application/x-amz-json-1.1';
const INSTANCE_PROFILE_LIFETIME_SECONDS = 6 * 60 * 60;
/** IMDS and the container endpoint hand out new credentials this long before the old ones expire. */
const ROTATION_MARGIN_MS = 5 * 60 * 1000;

interface Route {
  readonly service: EmulatedService;
  readonly operation: string;
  readonly body: unknown;
}

/**
 * One loopback HTTP(S) server that replies as AWS does to what the ECR push
 * task uses: ECR (JSON 1.1), STS (query protocol), EC2 instance metadata,
 * container credentials and the Azure DevOps OIDC token endpoint. The server
 * routes requests by path and headers. SigV4 signatures are verified against registered keys.
 * Each account's registry is a RegistryFront on its own port in front of the
 * one real registry.
 */
export class AwsEmulator {
  readonly requests: RecordedRequest[] = [];
  readonly registryEvents: RegistryEvent[] = [];
  /** Client of the real registry behind the fronts, with the AWS user's password. */
  readonly registry: RegistryClient;
  /** Bearer token the OIDC endpoint accepts, as the job's System.AccessToken. */
  oidcAccessToken = randomBytes(32).toString('base64url');
  /** Value the container credentials endpoint expects in Authorization (AWS_CONTAINER_AUTHORIZATION_TOKEN). */
  containerAuthorizationToken = randomBytes(24).toString('base64url');

  private readonly store: CredentialStore;
  private readonly repositoryStore: RepositoryStore;
  private readonly pushTimes = new PushTimes();
  private readonly faults = new FaultPlan();
  private readonly ecr: EcrApi;
  private readonly sts: StsApi;
  private readonly instanceMetadataService: InstanceMetadataService;
  private readonly containerCredentialsService: ContainerCredentialsService;
  private readonly oidc: OidcTokenService;
  private readonly fronts = new Map<string, Promise<RegistryFront>>();
  private readonly frontUrls = new Map<string, string>();
  private readonly tokenHolders = new Map<string, EcrCaller>();
  private readonly containerCredentialsPath = `${CONTAINER_CREDENTIALS_PATH}task-${randomBytes(6).toString('hex')}`;
  private deniedActions: DeniedAction[] = [];
  private instanceMetadataSettings: InstanceMetadataSettings;
  private instanceProfile: CredentialRecord;
  private containerRole: CredentialRecord;
  private server?: http.Server;
  private nextRequestId = 1;
  private baseUrl = '';

  private constructor(private readonly options: Required<Omit<AwsEmulatorOptions, 'tls'>> & Pick<AwsEmulatorOptions, 'tls'>) {
    this.registry = new RegistryClient({ url: options.registryUrl, password: options.registryPassword });
    this.store = new CredentialStore(options.accountId);
    this.repositoryStore = new RepositoryStore(options.region, (registryId) => this.frontHost(registryId));
    this.sts = new StsApi(this.store);
    this.ecr = new EcrApi({
      repositories: this.repositoryStore,
      images: new EcrImages(this.registry, (registryId, name) => this.backendRepositoryName(name, registryId), this.pushTimes),
      registryPassword: options.registryPassword,
      registryFrontUrl: async (registryId) => (await this.front(registryId)).url,
      onAuthorizationToken: (registryId, caller) => this.tokenHolders.set(registryId, caller),
    });
    this.instanceMetadataSettings = defaultInstanceMetadata(options.accountId, options.region);
    this.instanceMetadataService = new InstanceMetadataService(
      () => this.instanceMetadataSettings,
      () => this.currentInstanceProfileCredentials(),
    );
    this.containerCredentialsService = new ContainerCredentialsService(
      this.containerCredentialsPath,
      () => this.containerAuthorizationToken,
      () => this.currentContainerCredentials(),
    );
    this.oidc = new OidcTokenService(
      () => this.oidcAccessToken,
      (issued) => this.sts.addWebIdentityToken(issued.token, { subject: issued.subject, audience: OIDC_AUDIENCE, provider: 'emulated-azure-devops' }),
    );
    this.instanceProfile = this.issueInstanceProfileCredentials();
    this.containerRole = this.issueContainerCredentials();
  }

  /** Starts the main server and the default account's registry front on free 127.0.0.1 ports. */
  static async start(options: AwsEmulatorOptions): Promise<AwsEmulator> {
    const emulator = new AwsEmulator({ accountId: '123456789012', region: 'us-east-1', ...options });
    await emulator.listen();
    try {
      await emulator.front(emulator.accountId);
    } catch (error) {
      await emulator.stop();
      throw error;
    }
    return emulator;
  }

  /** Base URL of the main server: the value for AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL_STS and AWS_EC2_METADATA_SERVICE_ENDPOINT. */
  get url(): string {
    return this.baseUrl;
  }

  get accountId(): string {
    return this.options.accountId;
  }

  get region(): string {
    return this.options.region;
  }

  /** URL of the default account's registry front, the proxyEndpoint GetAuthorizationToken returns. */
  get registryFrontUrl(): string {
    return `http://${this.frontHost(this.accountId)}`;
  }

  /** Host and port of the default account's registry front, the registry part of image references. */
  get registryFrontHost(): string {
    return this.frontHost(this.accountId);
  }

  /** Returns an account's registry front URL, starting the front on first use. */
  async registryFrontUrlFor(registryId: string): Promise<string> {
    return (await this.front(registryId)).url;
  }

  /**
   * Returns a repository's name in the real registry. The default account's
   * repositories keep their names, and other accounts' get the account ID as prefix.
   * So the same name in two accounts is two different repositories.
   */
  backendRepositoryName(repositoryName: string, registryId: string = this.accountId): string {
    return registryId === this.accountId ? repositoryName : `${registryId}/${repositoryName}`;
  }

  /** Every repository of every account. */
  get repositories(): EcrRepository[] {
    return this.repositoryStore.all();
  }

  repository(name: string, registryId: string = this.accountId): EcrRepository | undefined {
    return this.repositoryStore.find(registryId, name);
  }

  /** Creates a repository directly in the emulator's state, as if CreateRepository had succeeded. */
  async createRepository(name: string, settings: RepositorySettings & { readonly registryId?: string } = {}): Promise<EcrRepository> {
    const registryId = settings.registryId ?? this.accountId;
    await this.front(registryId);
    return this.repositoryStore.create(registryId, name, settings);
  }

  /** Registers an access key that signatures are checked against; a missing key ID or secret is generated. */
  addCredentials(input: CredentialInput = {}): CredentialRecord {
    return this.store.add(input);
  }

  credentials(accessKeyId: string): CredentialRecord | undefined {
    return this.store.find(accessKeyId);
  }

  configureRole(roleArn: string, settings: RoleSettings): void {
    this.sts.configureRole(roleArn, settings);
  }

  addWebIdentityToken(token: string, settings: WebIdentityTokenSettings = {}): void {
    this.sts.addWebIdentityToken(token, settings);
  }

  /** Role sessions STS issued, in order. */
  get roleSessions(): readonly IssuedRoleSession[] {
    return this.sts.sessions;
  }

  get issuedOidcTokens(): readonly IssuedOidcToken[] {
    return this.oidc.issued;
  }

  /**
   * Denies an IAM action such as 'ecr:CreateRepository', 'sts:AssumeRole' or a push
   * step like 'ecr:InitiateLayerUpload'. The registry front applies a denial for one
   * key to the caller that last got an authorization token for that registry.
   */
  denyAction(action: string, options: { readonly accessKeyId?: string } = {}): void {
    this.deniedActions.push({ action, accessKeyId: options.accessKeyId });
  }

  get instanceMetadata(): InstanceMetadataSettings {
    return this.instanceMetadataSettings;
  }

  configureInstanceMetadata(settings: Partial<InstanceMetadataSettings>): void {
    this.instanceMetadataSettings = { ...this.instanceMetadataSettings, ...settings };
    this.instanceProfile = this.issueInstanceProfileCredentials();
  }

  /** Credentials IMDS currently hands out for the instance profile role. */
  get instanceProfileCredentials(): CredentialRecord {
    return this.currentInstanceProfileCredentials();
  }

  /** Value for AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  get containerCredentialsUrl(): string {
    return `${this.baseUrl}${this.containerCredentialsPath}`;
  }

  /** Credentials the container credentials endpoint currently hands out. */
  get containerCredentials(): CredentialRecord {
    return this.currentContainerCredentials();
  }

  /**
   * Disturbs the next `times` requests of an operation. Operations are ECR and STS
   * operation names, 'InstanceMetadataToken', 'InstanceMetadata', 'ContainerCredentials',
   * 'OidcToken', 'registry:<RegistryEventKind>' for the registry fronts, or '*'.
   */
  injectFault(operation: string, options: FaultOptions): void {
    this.faults.inject(operation, options);
  }

  /**
   * Forgets requests, events, faults, repositories, added credentials, roles, tokens
   * and denials, and restores the default instance metadata. Servers and ports stay,
   * and so do images already in the real registry: tests should use unique repository names.
   */
  reset(): void {
    this.requests.length = 0;
    this.registryEvents.length = 0;
    this.faults.clear();
    this.repositoryStore.clear();
    this.pushTimes.clear();
    this.sts.clear();
    this.oidc.issued.length = 0;
    this.instanceMetadataService.clear();
    this.tokenHolders.clear();
    this.deniedActions = [];
    this.instanceMetadataSettings = defaultInstanceMetadata(this.accountId, this.region);
    this.store.clear();
    this.instanceProfile = this.issueInstanceProfileCredentials();
    this.containerRole = this.issueContainerCredentials();
  }

  async stop(): Promise<void> {
    const fronts = await Promise.allSettled(this.fronts.values());
    await Promise.all(fronts.map((front) => (front.status === 'fulfilled' ? front.value.stop() : undefined)));
    this.fronts.clear();
    this.frontUrls.clear();

    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private async listen(): Promise<void> {
    const server = this.options.tls ? https.createServer({ cert: this.options.tls.cert, key: this.options.tls.key }) : http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });

    const { port } = server.address() as AddressInfo;
    this.baseUrl = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    this.server = server;
    server.on('request', (request: http.IncomingMessage, response: http.ServerResponse) => {
      this.handle(request, response).catch((error: Error) => {
        // Only a bug in the emulator gets here, so it is worth a line in the test output.
        console.error(`AWS emulator failed on ${request.method} ${request.url}: ${error.stack ?? error.message}`);
        if (!response.headersSent) {
          response.writeHead(500, { 'content-type': 'text/plain' });
        }
        response.end(`Emulator error: ${error.message}`);
      });
    });
  }

  private front(registryId: string): Promise<RegistryFront> {
    let front = this.fronts.get(registryId);
    if (!front) {
      front = RegistryFront.start({
        registryId,
        backendUrl: this.options.registryUrl,
        backendPrefix: registryId === this.accountId ? '' : `${registryId}/`,
        repositories: this.repositoryStore,
        backend: this.registry,
        pushTimes: this.pushTimes,
        events: this.registryEvents,
        faults: this.faults,
        denial: (action, repository) => this.registryDenial(action, repository),
      }).then((started) => {
        this.frontUrls.set(registryId, started.url);
        return started;
      });
      this.fronts.set(registryId, front);
    }
    return front;
  }

  /** Host of a started front; repositories are only created after their account's front started. */
  private frontHost(registryId: string): string {
    const url = this.frontUrls.get(registryId);
    if (!url) {
      throw new Error(`The registry front of account ${registryId} has not started yet`);
    }
    return new URL(url).host;
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const target = new URL(request.url ?? '/', 'http://emulator.invalid');
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    const route = routeRequest(method, target.pathname, request.headers, body);

    const record: RecordedRequest = {
      id: this.nextRequestId++,
      time: new Date(),
      service: route.service,
      operation: route.operation,
      method,
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      headers: request.headers,
      body: route.body,
    };
    this.requests.push(record);

    const fault = this.faults.take(route.operation);
    if (fault) {
      record.fault = fault.kind;
      if (fault.kind === 'drop') {
        record.errorCode = 'ConnectionDropped';
        request.socket.destroy();
        return;
      }
      if (fault.kind === 'slow') {
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      }
    }

    const reply =
      fault && (fault.kind === 'throttle' || fault.kind === 'server-error')
        ? faultReply(route.service, fault.kind)
        : await this.dispatch(route, method, target, request, body, record);

    record.status = reply.status;
    record.errorCode = reply.errorCode;
    response.writeHead(reply.status, { 'content-length': Buffer.byteLength(reply.body), ...reply.headers });
    response.end(reply.body);
  }

  private async dispatch(route: Route, method: string, target: URL, request: http.IncomingMessage, body: Buffer, record: RecordedRequest): Promise<Reply> {
    switch (route.service) {
      case 'ecr':
        return this.answerEcr(route, { method, url: request.url ?? '/', headers: request.headers, body }, record);
      case 'sts':
        return this.answerSts(route, { method, url: request.url ?? '/', headers: request.headers, body }, record);
      case 'instance-metadata':
        return this.instanceMetadataService.handle(method, target.pathname, request.headers);
      case 'container-credentials':
        return this.containerCredentialsService.handle(method, target.pathname, request.headers);
      case 'oidc':
        return this.oidc.handle(method, target.pathname, target.searchParams, request.headers);
      default:
        return textReply(404, `The AWS emulator has no endpoint for ${method} ${target.pathname}`, 'NoSuchEndpoint');
    }
  }

  private async answerEcr(route: Route, signed: { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }, record: RecordedRequest): Promise<Reply> {
    try {
      if (route.body === undefined) {
        throw new AwsError('SerializationException', 'The request body is not valid JSON.');
      }

      const caller = await this.authenticateCaller(signed, record, 'ecr', jsonServiceAuthenticationError);
      this.checkAllowed(`ecr:${route.operation}`, caller.credentials, (message) => new AwsError('AccessDeniedException', message, 400));

      const output = await this.ecr.handle(route.operation, route.body as Record<string, unknown>, caller);
      return { status: 200, headers: ecrHeaders(), body: JSON.stringify(output) };
    } catch (error) {
      return ecrErrorReply(asAwsError(error, 'ServerException', record));
    }
  }

  private async answerSts(route: Route, signed: { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer }, record: RecordedRequest): Promise<Reply> {
    const requestId = makeRequestId();
    try {
      const parameters = route.body as Record<string, string>;
      let caller: CredentialRecord | undefined;
      if (!UNSIGNED_STS_ACTIONS.has(route.operation)) {
        caller = (await this.authenticateCaller(signed, record, 'sts', stsAuthenticationError)).credentials;
        this.checkAllowed(`sts:${route.operation}`, caller, (message) => new AwsError('AccessDenied', message, 403));
      }

      const result = this.sts.handle(route.operation, parameters, caller);
      return { status: 200, headers: stsHeaders(requestId), body: stsResponse(route.operation, result, requestId) };
    } catch (error) {
      const awsError = asAwsError(error, 'InternalFailure', record);
      return { status: awsError.statusCode, headers: stsHeaders(requestId), body: stsErrorResponse(awsError, requestId), errorCode: awsError.code };
    }
  }

  /** Verifies the signature and records who signed; throws the service's AWS error when it is not accepted. */
  private async authenticateCaller(
    signed: { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer },
    record: RecordedRequest,
    service: string,
    toError: typeof jsonServiceAuthenticationError,
  ): Promise<EcrCaller> {
    const authentication = await authenticate(signed, this.store);
    record.accessKeyId = authentication.authorization?.accessKeyId;
    record.credentialLabel = authentication.credentials?.label;
    record.region = authentication.authorization?.region;
    record.signingService = authentication.authorization?.service;
    record.authenticated = authentication.failure === undefined;

    if (authentication.failure) {
      throw toError(authentication.failure);
    }
    if (authentication.authorization?.service !== service) {
      record.authenticated = false;
      const error = toError('bad-signature');
      throw new AwsError(error.code, `The credential scope names service '${authentication.authorization?.service}', but this endpoint is '${service}'.`, error.statusCode);
    }
    return { credentials: authentication.credentials as CredentialRecord, region: authentication.authorization.region };
  }

  private checkAllowed(action: string, credentials: CredentialRecord, toError: (message: string) => AwsError): void {
    if (this.isDenied(action, credentials.accessKeyId)) {
      throw toError(`User: ${credentials.principalArn} is not authorized to perform: ${action} (denied by the test)`);
    }
  }

  private isDenied(action: string, accessKeyId: string | undefined): boolean {
    return this.deniedActions.some((denied) => denied.action === action && (denied.accessKeyId === undefined || denied.accessKeyId === accessKeyId));
  }

  private registryDenial(action: string, repository: EcrRepository): string | undefined {
    const holder = this.tokenHolders.get(repository.registryId);
    if (!this.isDenied(action, holder?.credentials.accessKeyId)) {
      return undefined;
    }
    const principal = holder?.credentials.principalArn ?? `arn:aws:iam::${repository.registryId}:user/unknown`;
    return `User: ${principal} is not authorized to perform: ${action} on resource: ${repository.repositoryArn}`;
  }

  private currentInstanceProfileCredentials(): CredentialRecord {
    if (isExpiringSoon(this.instanceProfile)) {
      this.instanceProfile = this.issueInstanceProfileCredentials();
    }
    return this.instanceProfile;
  }

  private issueInstanceProfileCredentials(): CredentialRecord {
    const settings = this.instanceMetadataSettings;
    const roleName = settings.roleName ?? 'no-instance-role';
    return this.store.issueTemporary({
      durationSeconds: INSTANCE_PROFILE_LIFETIME_SECONDS,
      label: `instance-profile/${roleName}`,
      accountId: settings.accountId,
      principalArn: `arn:aws:sts::${settings.accountId}:assumed-role/${roleName}/${settings.instanceId}`,
      source: 'instance-metadata',
      roleArn: `arn:aws:iam::${settings.accountId}:role/${roleName}`,
      roleSessionName: settings.instanceId,
    });
  }

  private currentContainerCredentials(): CredentialRecord {
    if (isExpiringSoon(this.containerRole)) {
      this.containerRole = this.issueContainerCredentials();
    }
    return this.containerRole;
  }

  private issueContainerCredentials(): CredentialRecord {
    const roleName = 'container-task-role';
    const sessionName = this.containerCredentialsPath.slice(CONTAINER_CREDENTIALS_PATH.length);
    return this.store.issueTemporary({
      durationSeconds: INSTANCE_PROFILE_LIFETIME_SECONDS,
      label: `container/${roleName}`,
      accountId: this.accountId,
      principalArn: `arn:aws:sts::${this.accountId}:assumed-role/${roleName}/${sessionName}`,
      source: 'container-credentials',
      roleArn: `arn:aws:iam::${this.accountId}:role/${roleName}`,
      roleSessionName: sessionName,
    });
  }
}

function defaultInstanceMetadata(accountId: string, region: string): InstanceMetadataSettings {
  return {
    region,
    availabilityZone: `${region}a`,
    instanceId: 'i-0123456789abcdef0',
    accountId,
    roleName: 'agent-instance-role',
    requireToken: false,
  };
}

function isExpiringSoon(credentials: CredentialRecord): boolean {
  return credentials.expiration !== undefined && credentials.expiration.getTime() - Date.now() < ROTATION_MARGIN_MS;
}

/** Tells the services apart by path and headers, and parses the body of the ones that have one. */
function routeRequest(method: string, path: string, headers: http.IncomingHttpHeaders, body: Buffer): Route {
  if (path.startsWith('/latest/')) {
    return { service: 'instance-metadata', operation: method === 'PUT' ? INSTANCE_METADATA_OPERATIONS.token : INSTANCE_METADATA_OPERATIONS.read, body: undefined };
  }
  if (path.startsWith(CONTAINER_CREDENTIALS_PATH)) {
    return { service: 'container-credentials', operation: CONTAINER_CREDENTIALS_OPERATION, body: undefined };
  }
  if (isOidcPath(path)) {
    return { service: 'oidc', operation: OIDC_OPERATION, body: parseJsonOrText(body) };
  }

  const target = headers['x-amz-target'];
  if (method === 'POST' && typeof target === 'string' && target.startsWith(ECR_TARGET_PREFIX)) {
    return { service: 'ecr', operation: target.slice(ECR_TARGET_PREFIX.length), body: parseJsonObject(body) };
  }

  const contentType = headers['content-type'] ?? '';
  if (method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) {
    const parameters = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    return { service: 'sts', operation: parameters.Action ?? 'MissingAction', body: parameters };
  }

  return { service: 'unknown', operation: 'Unknown', body: body.length > 0 ? body.toString('utf8') : undefined };
}

/** Parses an ECR request body; an empty body is an empty input, invalid JSON is undefined. */
function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  if (body.length === 0) {
    return {};
  }
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseJsonOrText(body: Buffer): unknown {
  if (body.length === 0) {
    return undefined;
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return body.toString('utf8');
  }
}

function ecrHeaders(): Record<string, string> {
  return { 'content-type': ECR_CONTENT_TYPE, 'x-amzn-requestid': makeRequestId() };
}

function stsHeaders(requestId: string): Record<string, string> {
  return { 'content-type': 'text/xml', 'x-amzn-requestid': requestId };
}

function ecrErrorReply(error: AwsError): Reply {
  return {
    status: error.statusCode,
    headers: { ...ecrHeaders(), 'x-amzn-errortype': error.code },
    body: JSON.stringify({ __type: error.code, message: error.message }),
    errorCode: error.code,
  };
}

/** Keeps AWS errors as they are; an unexpected error becomes the service's 500 error and is recorded. */
function asAwsError(error: unknown, serverErrorCode: string, record: RecordedRequest): AwsError {
  if (error instanceof AwsError) {
    return error;
  }
  const message = `Emulator error: ${(error as Error)?.message ?? String(error)}`;
  record.errorMessage = message;
  return new AwsError(serverErrorCode, message, 500);
}

/** Builds the reply to an injected throttle or server error, in each service's own format. */
function faultReply(service: EmulatedService, kind: 'throttle' | 'server-error'): Reply {
  const throttle = kind === 'throttle';
  switch (service) {
    case 'ecr':
      return ecrErrorReply(throttle ? new AwsError('ThrottlingException', 'Rate exceeded', 400) : new AwsError('ServerException', 'Internal error injected by the test', 500));
    case 'sts': {
      const requestId = makeRequestId();
      const error = throttle ? new AwsError('Throttling', 'Rate exceeded', 400) : new AwsError('InternalFailure', 'Internal error injected by the test', 500);
      return { status: error.statusCode, headers: stsHeaders(requestId), body: stsErrorResponse(error, requestId), errorCode: error.code };
    }
    case 'oidc':
    case 'container-credentials':
      return jsonReply(throttle ? 429 : 500, { message: throttle ? 'Too many requests' : 'Internal error injected by the test' }, throttle ? 'Throttled' : 'ServerError');
    default:
      return textReply(throttle ? 429 : 500, throttle ? 'Too Many Requests' : 'Internal Server Error', throttle ? 'Throttled' : 'ServerError');
  }
}
