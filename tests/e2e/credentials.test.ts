import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunTaskOptions, ServiceConnection } from '../support/run-task';
import { taskRuntimes } from '../support/runtimes';
import { expectNoSecretShown, expectSucceeded, failureOf, SourceFixture, startSilentServer } from '../support/source-fixture';

// Each test gives the task credentials from one source, with keys no other
// source has, and checks which access key signed the ECR calls: the emulator
// verifies every SigV4 signature, so the signer is the source the task used.

const REGION = 'eu-west-1';
const CONNECTION_ID = randomUUID();
const ROLE_ARN = 'arn:aws:iam::123456789012:role/ecr-pusher';
const DEFAULT_SESSION_NAME = 'aws-vsts-tools';

const fixture = new SourceFixture();
let scratch: string;

beforeAll(() => fixture.setUp());
afterAll(() => fixture.tearDown());

beforeEach(() => {
    fixture.emulator.reset();
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'credential-sources-'));
});

afterEach(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
});

function awsConnection(parameters: Record<string, string>): ServiceConnection {
    return { id: CONNECTION_ID, url: 'https://aws.amazon.com/', scheme: 'UsernamePassword', parameters };
}

/** Returns the variables that locate the job in the emulated Azure DevOps, for the OIDC token request. */
function jobVariables(): Record<string, string> {
    return {
        'System.CollectionUri': `${fixture.emulator.url}/emulated-organization/`,
        'System.TeamProjectId': randomUUID(),
        'System.HostType': 'build',
        'System.PlanId': randomUUID(),
        'System.JobId': randomUUID(),
    };
}

/** Returns the SystemVssConnection endpoint, whose AccessToken parameter is how the agent hands over the job's access token. */
function systemVssConnection(accessToken: string): ServiceConnection {
    return { id: 'SystemVssConnection', url: `${fixture.emulator.url}/emulated-organization/`, scheme: 'OAuth', parameters: { AccessToken: accessToken } };
}

function writeFile(name: string, content: string): string {
    const file = path.join(scratch, name);
    fs.writeFileSync(file, content, { mode: 0o600 });
    return file;
}

/** Writes a shared config file with one named profile of static keys, and returns the environment that selects it. */
function profileEnvironment(profile: string, keys: { accessKeyId: string; secretAccessKey: string }): Record<string, string> {
    const config = writeFile(
        'config',
        [`[profile ${profile}]`, `aws_access_key_id = ${keys.accessKeyId}`, `aws_secret_access_key = ${keys.secretAccessKey}`, ''].join('\n'),
    );
    return { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'no-credentials-file'), AWS_PROFILE: profile };
}

function webIdentityEnvironment(token: string, sessionName: string): Record<string, string> {
    return { AWS_WEB_IDENTITY_TOKEN_FILE: writeFile('web-identity-token', token), AWS_ROLE_ARN: ROLE_ARN, AWS_ROLE_SESSION_NAME: sessionName };
}

function containerEnvironment(): Record<string, string> {
    return {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: fixture.emulator.containerCredentialsUrl,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: fixture.emulator.containerAuthorizationToken,
    };
}

function environmentKeys(keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): Record<string, string> {
    return {
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
        ...(keys.sessionToken ? { AWS_SESSION_TOKEN: keys.sessionToken } : {}),
    };
}

function credentialSecrets(keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): (string | undefined)[] {
    return [keys.accessKeyId, keys.secretAccessKey, keys.sessionToken];
}

/** Returns the access keys that signed ECR calls, without repeats. */
function ecrSigners(): (string | undefined)[] {
    return [...new Set(fixture.emulator.requests.filter((request) => request.service === 'ecr').map((request) => request.accessKeyId))];
}

function registrySecrets(): string[] {
    return [fixture.services.registryPassword];
}

describe.each(taskRuntimes())('credential sources under $name', (runtime) => {
    it('uses the keys of the service connection', async () => {
        const connectionUser = fixture.emulator.addCredentials({ label: 'connection-user' });
        const inputs = await fixture.pushInputs('creds/connection');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [awsConnection({ username: connectionUser.accessKeyId, password: connectionUser.secretAccessKey })],
        });

        expectSucceeded(run);
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([connectionUser.accessKeyId]);
        expect(ecrSigners()).toEqual([connectionUser.accessKeyId]);
        expect(run.output).toContain('Using AWS credentials from the access keys of the service connection.');
        expectNoSecretShown(run, [...credentialSecrets(connectionUser), ...registrySecrets()]);
    });

    it('assumes the connection role with its keys', async () => {
        const connectionUser = fixture.emulator.addCredentials({ label: 'connection-user' });
        const externalId = `external-${randomBytes(6).toString('hex')}`;
        fixture.emulator.configureRole(ROLE_ARN, { externalId });
        const inputs = await fixture.pushInputs('creds/connection-role');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [
                awsConnection({
                    username: connectionUser.accessKeyId,
                    password: connectionUser.secretAccessKey,
                    assumeRoleArn: ROLE_ARN,
                    externalId,
                    roleSessionName: 'release-pipeline',
                }),
            ],
        });

        expectSucceeded(run);
        const [session] = fixture.emulator.roleSessions;
        expect(fixture.emulator.roleSessions).toHaveLength(1);
        expect(session).toMatchObject({
            action: 'AssumeRole',
            roleArn: ROLE_ARN,
            roleSessionName: 'release-pipeline',
            externalId,
            durationSeconds: 900,
            callerAccessKeyId: connectionUser.accessKeyId,
        });
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([session.credentials.accessKeyId]);
        expect(ecrSigners()).toEqual([session.credentials.accessKeyId]);
        expect(run.output).toContain(`Using AWS credentials from role ${ROLE_ARN}, assumed with the access keys of the service connection.`);
        expectNoSecretShown(run, [...credentialSecrets(connectionUser), ...credentialSecrets(session.credentials), ...registrySecrets()]);
    });

    it('assumes a role-only connection with ambient keys', async () => {
        const agentUser = fixture.emulator.addCredentials({ label: 'agent-environment' });
        const inputs = await fixture.pushInputs('creds/role-only');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [awsConnection({ assumeRoleArn: ROLE_ARN, useOIDC: 'false' })],
            env: environmentKeys(agentUser),
        });

        expectSucceeded(run);
        const [session] = fixture.emulator.roleSessions;
        expect(fixture.emulator.roleSessions).toHaveLength(1);
        expect(session).toMatchObject({ action: 'AssumeRole', roleArn: ROLE_ARN, roleSessionName: DEFAULT_SESSION_NAME, callerAccessKeyId: agentUser.accessKeyId });
        expect(session.externalId).toBeUndefined();
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([session.credentials.accessKeyId]);
        expect(run.output).toContain(`Using AWS credentials from role ${ROLE_ARN}, assumed with the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables.`);
        expectNoSecretShown(run, [...credentialSecrets(agentUser), ...credentialSecrets(session.credentials), ...registrySecrets()]);
    });

    it('federates with an OIDC token of the connection', async () => {
        fixture.emulator.configureRole(ROLE_ARN, { maxSessionDurationSeconds: 7200 });
        const job = jobVariables();
        const inputs = await fixture.pushInputs('creds/oidc');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [
                awsConnection({ assumeRoleArn: ROLE_ARN, roleSessionName: 'oidc-pipeline', useOIDC: 'true' }),
                systemVssConnection(fixture.emulator.oidcAccessToken),
            ],
            variables: { ...job, 'aws.rolecredential.maxduration': '1800' },
        });

        expectSucceeded(run);
        const oidcRequests = fixture.emulator.requests.filter((request) => request.service === 'oidc');
        expect(oidcRequests).toHaveLength(1);
        expect(oidcRequests[0].method).toBe('POST');
        expect(oidcRequests[0].headers.authorization).toBe(`Bearer ${fixture.emulator.oidcAccessToken}`);
        expect(oidcRequests[0].query).toEqual({ serviceConnectionId: CONNECTION_ID, 'api-version': '7.1-preview.1' });

        const [issued] = fixture.emulator.issuedOidcTokens;
        expect(issued).toMatchObject({
            collectionPath: '/emulated-organization',
            projectId: job['System.TeamProjectId'],
            hostType: 'build',
            planId: job['System.PlanId'],
            jobId: job['System.JobId'],
            serviceConnectionId: CONNECTION_ID,
        });

        const [session] = fixture.emulator.roleSessions;
        expect(fixture.emulator.roleSessions).toHaveLength(1);
        expect(session).toMatchObject({
            action: 'AssumeRoleWithWebIdentity',
            roleArn: ROLE_ARN,
            roleSessionName: 'oidc-pipeline',
            durationSeconds: 1800,
            webIdentityToken: issued.token,
        });
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([session.credentials.accessKeyId]);
        expect(ecrSigners()).toEqual([session.credentials.accessKeyId]);
        expect(run.output).toContain(`Using AWS credentials from role ${ROLE_ARN}, assumed with an OpenID Connect token of service connection ${CONNECTION_ID}.`);
        expectNoSecretShown(run, [fixture.emulator.oidcAccessToken, issued.token, ...credentialSecrets(session.credentials), ...registrySecrets()]);
    });

    it('reads the OIDC access token from System.AccessToken', async () => {
        const inputs = await fixture.pushInputs('creds/oidc-variable');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [awsConnection({ assumeRoleArn: ROLE_ARN, useOIDC: 'true' })],
            variables: jobVariables(),
            secretVariables: { 'System.AccessToken': fixture.emulator.oidcAccessToken },
        });

        expectSucceeded(run);
        const [issued] = fixture.emulator.issuedOidcTokens;
        const [session] = fixture.emulator.roleSessions;
        expect(issued.serviceConnectionId).toBe(CONNECTION_ID);
        expect(session).toMatchObject({ action: 'AssumeRoleWithWebIdentity', roleSessionName: DEFAULT_SESSION_NAME, durationSeconds: 900, webIdentityToken: issued.token });
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([session.credentials.accessKeyId]);
        expectNoSecretShown(run, [fixture.emulator.oidcAccessToken, issued.token, ...credentialSecrets(session.credentials), ...registrySecrets()]);
    });

    it('uses the keys of the task variables', async () => {
        const variableUser = fixture.emulator.addCredentials({ label: 'variable-user' });
        const inputs = await fixture.pushInputs('creds/variables');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, regionName: REGION },
            variables: { 'AWS.AccessKeyID': variableUser.accessKeyId },
            secretVariables: { 'AWS.SecretAccessKey': variableUser.secretAccessKey },
        });

        expectSucceeded(run);
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([variableUser.accessKeyId]);
        expect(ecrSigners()).toEqual([variableUser.accessKeyId]);
        expect(run.output).toContain('Using AWS credentials from the AWS.AccessKeyID and AWS.SecretAccessKey variables.');
        expectNoSecretShown(run, [...credentialSecrets(variableUser), ...registrySecrets()]);
    });

    it('assumes the variables role with their keys', async () => {
        const variableUser = fixture.emulator.addCredentials({ label: 'variable-user' });
        const externalId = `external-${randomBytes(6).toString('hex')}`;
        fixture.emulator.configureRole(ROLE_ARN, { externalId });
        const inputs = await fixture.pushInputs('creds/variables-role');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, regionName: REGION },
            variables: {
                'AWS.AccessKeyID': variableUser.accessKeyId,
                'AWS.AssumeRoleArn': ROLE_ARN,
                'AWS.ExternalId': externalId,
                'AWS.RoleSessionName': 'variables-session',
            },
            secretVariables: { 'AWS.SecretAccessKey': variableUser.secretAccessKey },
        });

        expectSucceeded(run);
        const [session] = fixture.emulator.roleSessions;
        expect(fixture.emulator.roleSessions).toHaveLength(1);
        expect(session).toMatchObject({
            action: 'AssumeRole',
            roleArn: ROLE_ARN,
            roleSessionName: 'variables-session',
            externalId,
            durationSeconds: 900,
            callerAccessKeyId: variableUser.accessKeyId,
        });
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([session.credentials.accessKeyId]);
        expect(run.output).toContain(`Using AWS credentials from role ${ROLE_ARN}, assumed with the AWS.AccessKeyID and AWS.SecretAccessKey variables.`);
        expectNoSecretShown(run, [...credentialSecrets(variableUser), ...credentialSecrets(session.credentials), ...registrySecrets()]);
    });

    it('uses temporary keys from the environment', async () => {
        const agentUser = fixture.emulator.addCredentials({ label: 'agent-environment', sessionToken: randomBytes(200).toString('base64') });
        const inputs = await fixture.pushInputs('creds/environment');

        const run = await fixture.run(runtime, { inputs: { ...inputs, regionName: REGION }, env: environmentKeys(agentUser) });

        expectSucceeded(run);
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([agentUser.accessKeyId]);
        expect(ecrSigners()).toEqual([agentUser.accessKeyId]);
        expect(run.output).toContain('Using AWS credentials from the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables.');
        expectNoSecretShown(run, [...credentialSecrets(agentUser), ...registrySecrets()]);
    });

    it('uses a profile of the shared config file', async () => {
        const profileUser = fixture.emulator.addCredentials({ label: 'profile-user' });
        const inputs = await fixture.pushInputs('creds/profile');

        const run = await fixture.run(runtime, { inputs: { ...inputs, regionName: REGION }, env: profileEnvironment('pipeline', profileUser) });

        expectSucceeded(run);
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([profileUser.accessKeyId]);
        expect(run.output).toContain("Using AWS credentials from the shared AWS config profile 'pipeline'.");
        expectNoSecretShown(run, [...credentialSecrets(profileUser), ...registrySecrets()]);
    });

    it('uses a web identity token file', async () => {
        const token = `eks.${randomBytes(48).toString('base64url')}`;
        fixture.emulator.addWebIdentityToken(token, { roleArns: [ROLE_ARN] });
        const inputs = await fixture.pushInputs('creds/web-identity');

        const run = await fixture.run(runtime, { inputs: { ...inputs, regionName: REGION }, env: webIdentityEnvironment(token, 'eks-agent') });

        expectSucceeded(run);
        const [session] = fixture.emulator.roleSessions;
        expect(fixture.emulator.roleSessions).toHaveLength(1);
        expect(session).toMatchObject({ action: 'AssumeRoleWithWebIdentity', roleArn: ROLE_ARN, roleSessionName: 'eks-agent', webIdentityToken: token });
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([session.credentials.accessKeyId]);
        expect(run.output).toContain('Using AWS credentials from the web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE).');
        expectNoSecretShown(run, [token, ...credentialSecrets(session.credentials), ...registrySecrets()]);
    });

    it('uses the container credentials endpoint', async () => {
        const inputs = await fixture.pushInputs('creds/container');
        const containerRole = fixture.emulator.containerCredentials;

        const run = await fixture.run(runtime, { inputs: { ...inputs, regionName: REGION }, env: containerEnvironment() });

        expectSucceeded(run);
        const containerRequests = fixture.emulator.requests.filter((request) => request.service === 'container-credentials');
        expect(containerRequests.map((request) => request.status)).toEqual([200]);
        expect(containerRequests[0].headers.authorization).toBe(fixture.emulator.containerAuthorizationToken);
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([containerRole.accessKeyId]);
        expect(run.output).toContain('Using AWS credentials from the container credentials endpoint.');
        expectNoSecretShown(run, [fixture.emulator.containerAuthorizationToken, ...credentialSecrets(containerRole), ...registrySecrets()]);
    });

    it('uses the instance profile over IMDSv2', async () => {
        fixture.emulator.configureInstanceMetadata({ requireToken: true, roleName: 'agent-instance-role' });
        const instanceRole = fixture.emulator.instanceProfileCredentials;
        const inputs = await fixture.pushInputs('creds/imds-v2');

        const run = await fixture.run(runtime, { inputs: { ...inputs, regionName: REGION }, env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: fixture.emulator.url } });

        expectSucceeded(run);
        const metadataReads = fixture.emulator.requests.filter((request) => request.operation === 'InstanceMetadata');
        expect(metadataReads.length).toBeGreaterThan(0);
        expect(metadataReads.every((request) => request.status === 200 && request.headers['x-aws-ec2-metadata-token'] !== undefined)).toBe(true);
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([instanceRole.accessKeyId]);
        expect(run.output).toContain('Using AWS credentials from the EC2 instance metadata (instance profile).');
        expectNoSecretShown(run, [...credentialSecrets(instanceRole), ...registrySecrets()]);
    });

    it('falls back to IMDSv1 when the token is refused', async () => {
        fixture.emulator.configureInstanceMetadata({ tokenRefusal: 403, requireToken: false, roleName: 'agent-instance-role' });
        const instanceRole = fixture.emulator.instanceProfileCredentials;
        const inputs = await fixture.pushInputs('creds/imds-v1');

        const run = await fixture.run(runtime, { inputs: { ...inputs, regionName: REGION }, env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: fixture.emulator.url } });

        expectSucceeded(run);
        const tokenRequests = fixture.emulator.requests.filter((request) => request.operation === 'InstanceMetadataToken');
        const metadataReads = fixture.emulator.requests.filter((request) => request.operation === 'InstanceMetadata');
        expect(tokenRequests.map((request) => request.status)).toContain(403);
        expect(metadataReads.length).toBeGreaterThan(0);
        expect(metadataReads.every((request) => request.status === 200 && request.headers['x-aws-ec2-metadata-token'] === undefined)).toBe(true);
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([instanceRole.accessKeyId]);
        expect(run.output).toContain('Using AWS credentials from the EC2 instance metadata (instance profile).');
        expectNoSecretShown(run, [...credentialSecrets(instanceRole), ...registrySecrets()]);
    });
});

/** One place the task can take credentials from, set up with keys no other source has. */
interface CredentialSource {
    readonly options: Pick<RunTaskOptions, 'endpoints' | 'variables' | 'secretVariables' | 'env'> & { readonly inputs?: Record<string, string> };
    /** What the task log names as the source. */
    readonly logPhrase: string;
    /** Returns the access key that signs ECR calls when the task uses this source. Call it after the run. */
    readonly signer: () => string | undefined;
    readonly secrets: () => (string | undefined)[];
}

type SourceName = 'connection' | 'variables' | 'environment' | 'namedProfile' | 'defaultProfile' | 'webIdentityFile' | 'container' | 'instanceMetadata';

function profileFile(section: string, keys: { accessKeyId: string; secretAccessKey: string }): string {
    return writeFile(
        `config-${section.replace(/\W+/g, '-')}`,
        [`[${section}]`, `aws_access_key_id = ${keys.accessKeyId}`, `aws_secret_access_key = ${keys.secretAccessKey}`, ''].join('\n'),
    );
}

const SOURCE_BUILDERS: Record<SourceName, () => CredentialSource> = {
    connection: () => {
        const user = fixture.emulator.addCredentials({ label: 'connection-user' });
        return {
            options: {
                inputs: { awsCredentials: CONNECTION_ID },
                endpoints: [awsConnection({ username: user.accessKeyId, password: user.secretAccessKey })],
            },
            logPhrase: 'the access keys of the service connection',
            signer: () => user.accessKeyId,
            secrets: () => credentialSecrets(user),
        };
    },
    variables: () => {
        const user = fixture.emulator.addCredentials({ label: 'variable-user' });
        return {
            options: { variables: { 'AWS.AccessKeyID': user.accessKeyId }, secretVariables: { 'AWS.SecretAccessKey': user.secretAccessKey } },
            logPhrase: 'the AWS.AccessKeyID and AWS.SecretAccessKey variables',
            signer: () => user.accessKeyId,
            secrets: () => credentialSecrets(user),
        };
    },
    environment: () => {
        const user = fixture.emulator.addCredentials({ label: 'agent-environment' });
        return {
            options: { env: environmentKeys(user) },
            logPhrase: 'the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables',
            signer: () => user.accessKeyId,
            secrets: () => credentialSecrets(user),
        };
    },
    namedProfile: () => {
        const user = fixture.emulator.addCredentials({ label: 'named-profile-user' });
        return {
            options: { env: { AWS_CONFIG_FILE: profileFile('profile pipeline', user), AWS_PROFILE: 'pipeline' } },
            logPhrase: "the shared AWS config profile 'pipeline'",
            signer: () => user.accessKeyId,
            secrets: () => credentialSecrets(user),
        };
    },
    defaultProfile: () => {
        const user = fixture.emulator.addCredentials({ label: 'default-profile-user' });
        return {
            options: { env: { AWS_CONFIG_FILE: profileFile('default', user) } },
            logPhrase: "the shared AWS config profile 'default'",
            signer: () => user.accessKeyId,
            secrets: () => credentialSecrets(user),
        };
    },
    webIdentityFile: () => {
        const token = `eks.${randomBytes(48).toString('base64url')}`;
        fixture.emulator.addWebIdentityToken(token, { roleArns: [ROLE_ARN] });
        const session = () => fixture.emulator.roleSessions.find((candidate) => candidate.webIdentityToken === token);
        return {
            options: { env: webIdentityEnvironment(token, 'eks-agent') },
            logPhrase: 'the web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE)',
            signer: () => session()?.credentials.accessKeyId,
            secrets: () => [token, ...(session() ? credentialSecrets(session()!.credentials) : [])],
        };
    },
    container: () => {
        const role = fixture.emulator.containerCredentials;
        return {
            options: { env: containerEnvironment() },
            logPhrase: 'the container credentials endpoint',
            signer: () => role.accessKeyId,
            secrets: () => [fixture.emulator.containerAuthorizationToken, ...credentialSecrets(role)],
        };
    },
    instanceMetadata: () => {
        const role = fixture.emulator.instanceProfileCredentials;
        return {
            options: { env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: fixture.emulator.url } },
            logPhrase: 'the EC2 instance metadata (instance profile)',
            signer: () => role.accessKeyId,
            secrets: () => credentialSecrets(role),
        };
    },
};

/** Puts the options of several sources into one run. */
function combine(sources: readonly CredentialSource[]): CredentialSource['options'] {
    return {
        inputs: Object.assign({}, ...sources.map((source) => source.options.inputs)),
        endpoints: sources.flatMap((source) => source.options.endpoints ?? []),
        variables: Object.assign({}, ...sources.map((source) => source.options.variables)),
        secretVariables: Object.assign({}, ...sources.map((source) => source.options.secretVariables)),
        env: Object.assign({}, ...sources.map((source) => source.options.env)),
    };
}

// Each row lists the sources present, the expected winner first. The service connection and
// the task variables come before the AWS SDK's default chain, whose own order is environment,
// shared config, web identity token file, container endpoint, instance metadata.
const PRECEDENCE: readonly (readonly SourceName[])[] = [
    ['connection', 'variables', 'environment', 'defaultProfile', 'webIdentityFile', 'container', 'instanceMetadata'],
    ['variables', 'environment', 'defaultProfile', 'webIdentityFile', 'container', 'instanceMetadata'],
    ['environment', 'defaultProfile', 'webIdentityFile', 'container', 'instanceMetadata'],
    ['defaultProfile', 'webIdentityFile', 'container', 'instanceMetadata'],
    ['webIdentityFile', 'container', 'instanceMetadata'],
    ['container', 'instanceMetadata'],
    // The AWS SDK (credential-provider-node 3.x) skips environment keys when AWS_PROFILE names
    // a profile, and warns about it on stderr.
    ['namedProfile', 'environment', 'container'],
];

describe.each(taskRuntimes())('credential precedence under $name', (runtime) => {
    it.each(PRECEDENCE.map((row) => [row[0], row.slice(1).join(', '), row] as const))('%s wins over %s', async (_winner, _others, row) => {
        const sources = row.map((name) => SOURCE_BUILDERS[name]());
        const [winner] = sources;
        const options = combine(sources);
        const inputs = await fixture.pushInputs('creds/precedence');

        const run = await fixture.run(runtime, { ...options, inputs: { ...inputs, regionName: REGION, ...options.inputs } });

        expectSucceeded(run);
        expect(winner.signer()).toBeDefined();
        expect(ecrSigners()).toEqual([winner.signer()]);
        expect(run.output).toContain(`Using AWS credentials from ${winner.logPhrase}.`);
        expectNoSecretShown(run, [...sources.flatMap((source) => source.secrets()), ...registrySecrets()]);
    });
});

describe.each(taskRuntimes())('credential failures under $name', (runtime) => {
    /** Fails unless the run ended with exactly one error line, and returns that line. */
    function singleErrorLine(run: Awaited<ReturnType<typeof fixture.run>>): string {
        const message = failureOf(run);
        expect(run.errors).toEqual([message]);
        expect(message).not.toContain('\n');
        return message;
    }

    it('fails OIDC without an access token', async () => {
        const fallbackUser = fixture.emulator.addCredentials({ label: 'agent-environment' });
        const inputs = await fixture.pushInputs('creds/oidc-no-token');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [awsConnection({ assumeRoleArn: ROLE_ARN, useOIDC: 'true' })],
            variables: jobVariables(),
            env: environmentKeys(fallbackUser),
        });

        const message = singleErrorLine(run);
        expect(message).toBe(
            `Service connection ${CONNECTION_ID} uses OpenID Connect, but the job has no access token. Allow scripts to access the OAuth token for this job, or map System.AccessToken.`,
        );
        expect(fixture.emulator.requests.filter((request) => request.service !== 'unknown')).toEqual([]);
        expectNoSecretShown(run, credentialSecrets(fallbackUser));
    });

    it('fails OIDC when Azure DevOps rejects the access token', async () => {
        const fallbackUser = fixture.emulator.addCredentials({ label: 'agent-environment' });
        const wrongToken = randomBytes(32).toString('base64url');
        const inputs = await fixture.pushInputs('creds/oidc-rejected');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [awsConnection({ assumeRoleArn: ROLE_ARN, useOIDC: 'true' }), systemVssConnection(wrongToken)],
            variables: jobVariables(),
            env: environmentKeys(fallbackUser),
        });

        const message = singleErrorLine(run);
        expect(message).toContain(`Azure DevOps did not issue an OpenID Connect token for service connection ${CONNECTION_ID}: HTTP 401`);
        expect(message).toContain('The access token is missing or not valid for this organization.');
        expect(fixture.emulator.requests.map((request) => request.service)).toEqual(['oidc']);
        expectNoSecretShown(run, [wrongToken, ...credentialSecrets(fallbackUser)]);
    });

    it('retries a failing OIDC endpoint', async () => {
        fixture.emulator.injectFault('OidcToken', { kind: 'server-error', times: 1 });
        const inputs = await fixture.pushInputs('creds/oidc-retry');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [awsConnection({ assumeRoleArn: ROLE_ARN, useOIDC: 'true' }), systemVssConnection(fixture.emulator.oidcAccessToken)],
            variables: jobVariables(),
        });

        expectSucceeded(run);
        const oidcStatuses = fixture.emulator.requests.filter((request) => request.service === 'oidc').map((request) => request.status);
        expect(oidcStatuses).toEqual([500, 200]);
        expect(run.output).toMatch(/Requesting an OpenID Connect token failed \(attempt 1: HTTP 500 .*\); retrying in 1000 ms\./);
        const [session] = fixture.emulator.roleSessions;
        expect(ecrSigners()).toEqual([session.credentials.accessKeyId]);
        expectNoSecretShown(run, [fixture.emulator.oidcAccessToken, ...fixture.emulator.issuedOidcTokens.map((issued) => issued.token), ...credentialSecrets(session.credentials)]);
    });

    it('passes on why STS denied the role', async () => {
        const connectionUser = fixture.emulator.addCredentials({ label: 'connection-user' });
        fixture.emulator.configureRole(ROLE_ARN, { denied: 'the trust policy of ecr-pusher does not name this user' });
        const inputs = await fixture.pushInputs('creds/role-denied');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [awsConnection({ username: connectionUser.accessKeyId, password: connectionUser.secretAccessKey, assumeRoleArn: ROLE_ARN })],
        });

        const message = singleErrorLine(run);
        expect(message).toBe(
            `AWS denied sts:AssumeRole on role ${ROLE_ARN} with the access keys of the service connection: ` +
                `User: ${connectionUser.principalArn} is not authorized to perform: sts:AssumeRole on resource: ${ROLE_ARN} (the trust policy of ecr-pusher does not name this user). ` +
                "Check that the role's trust policy allows this caller and, when one is set, the external ID.",
        );
        expect(fixture.emulator.requests.filter((request) => request.service === 'ecr')).toEqual([]);
        expectNoSecretShown(run, credentialSecrets(connectionUser));
    });

    it.each(['600', '86400', 'one hour'])('warns about role duration %j and asks for 900 s', async (duration) => {
        const connectionUser = fixture.emulator.addCredentials({ label: 'connection-user' });
        const inputs = await fixture.pushInputs('creds/duration');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [awsConnection({ username: connectionUser.accessKeyId, password: connectionUser.secretAccessKey, assumeRoleArn: ROLE_ARN })],
            variables: { 'aws.rolecredential.maxduration': duration },
        });

        expectSucceeded(run);
        expect(run.warnings).toEqual([
            `The variable aws.rolecredential.maxduration is '${duration}', which is not a whole number of seconds from 900 to 43200. Using 900 seconds.`,
        ]);
        expect(fixture.emulator.roleSessions.map((session) => session.durationSeconds)).toEqual([900]);
        expect(fixture.emulator.requests.find((request) => request.operation === 'AssumeRole')?.body).toMatchObject({ DurationSeconds: '900' });
        expectNoSecretShown(run, [...credentialSecrets(connectionUser), ...credentialSecrets(fixture.emulator.roleSessions[0].credentials)]);
    });

    it('fails when no source has credentials', async () => {
        const silentMetadata = await startSilentServer();
        const inputs = await fixture.pushInputs('creds/none');
        const started = Date.now();

        try {
            const run = await fixture.run(runtime, {
                inputs: { ...inputs, regionName: REGION },
                env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: silentMetadata.url },
            });

            const message = singleErrorLine(run);
            expect(message).toMatch(/^No AWS credentials were found \(.+\)\. Give the task credentials through a service connection with access keys, the AWS\.AccessKeyID and AWS\.SecretAccessKey variables, or the agent itself/);
            expect(fixture.emulator.requests.filter((request) => request.service === 'ecr')).toEqual([]);
            // A guard against hanging on an unreachable metadata service, not a speed test.
            expect(Date.now() - started).toBeLessThan(15_000);
        } finally {
            await silentMetadata.close();
        }
    });
});
