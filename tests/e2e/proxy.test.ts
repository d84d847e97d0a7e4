import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CredentialRecord, makeTestCertificateAuthority, type TestCertificateAuthority } from '../emulator';
import { startTinyproxy, type Tinyproxy } from '../rig/tinyproxy';
import type { ServiceConnection, TaskRun } from '../support/run-task';
import { taskRuntimes } from '../support/runtimes';
import { expectNoSecretShown, expectSucceeded, failureOf, SourceFixture } from '../support/source-fixture';

// The emulator serves HTTPS with a test CA, so that the task reaches it through CONNECT
// tunnels as it reaches AWS. The proxy is Debian's tinyproxy with Basic auth, and its log
// lists every tunnel. The registry itself is not behind the proxy: docker talks to it, and
// docker's proxy is the daemon's own setting.

const REGION = 'eu-west-1';
const CONNECTION_ID = randomUUID();
const ROLE_ARN = 'arn:aws:iam::123456789012:role/ecr-pusher';
const PROXY_USER = 'pipeline';

const fixture = new SourceFixture();
let certificateDirectory: string;
let authority: TestCertificateAuthority;
let proxy: Tinyproxy;
let proxyPassword: string;
let user: CredentialRecord;

beforeAll(async () => {
    certificateDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'proxy-test-ca-'));
    authority = makeTestCertificateAuthority(certificateDirectory);
    await fixture.setUp({ tls: { cert: authority.cert, key: authority.key } });
});

afterAll(async () => {
    await fixture.tearDown();
    fs.rmSync(certificateDirectory, { recursive: true, force: true });
});

beforeEach(async () => {
    fixture.emulator.reset();
    user = fixture.emulator.addCredentials({ label: 'connection-user' });
    proxyPassword = randomBytes(16).toString('hex');
    proxy = await startTinyproxy({ username: PROXY_USER, password: proxyPassword });
});

afterEach(async () => {
    await proxy?.stop();
});

function emulatorHost(): string {
    return new URL(fixture.emulator.url).host;
}

function awsConnection(parameters: Record<string, string>): ServiceConnection {
    return { id: CONNECTION_ID, url: 'https://aws.amazon.com/', scheme: 'UsernamePassword', parameters };
}

function connectionWithRole(): ServiceConnection {
    return awsConnection({ username: user.accessKeyId, password: user.secretAccessKey, assumeRoleArn: ROLE_ARN });
}

/** Returns the agent's proxy settings as the agent hands them to a task, with the password as a secret variable. */
function agentProxy(password: string, bypassList: readonly string[] = []) {
    return {
        variables: { 'Agent.ProxyUrl': proxy.url, 'Agent.ProxyUsername': PROXY_USER, 'Agent.ProxyBypassList': JSON.stringify(bypassList) },
        secretVariables: { 'Agent.ProxyPassword': password },
    };
}

/** Returns the environment every run needs, which trusts the test CA. */
function tlsEnvironment(): Record<string, string> {
    return { NODE_EXTRA_CA_CERTS: authority.caCertificatePath };
}

/** Returns the operations the task called on ECR, STS and the Azure DevOps OIDC endpoint. */
function awsCalls(): string[] {
    return fixture.emulator.requests.filter((request) => ['ecr', 'sts', 'oidc'].includes(request.service)).map((request) => request.operation);
}

/** Counts the CONNECT tunnels the proxy opened to the emulator. */
function tunnelsToEmulator(): number {
    return proxy.requests().filter((request) => request.method === 'CONNECT' && request.target === emulatorHost()).length;
}

/**
 * Checks that a password from HTTPS_PROXY is in no output line at all. The agent masks
 * only secret variables and values the task registered, and such a password is neither
 * until the task registers it, so a line printed before that would show it.
 */
function expectPrintedNowhere(run: TaskRun, password: string): void {
    const printedLines = run.output.split('\n').filter((line) => !line.includes('##vso[task.setsecret'));
    expect(printedLines.filter((line) => line.includes(password))).toEqual([]);
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe.each(taskRuntimes())('proxy under $name', (runtime) => {
    it('sends every AWS call through the agent proxy', async () => {
        const inputs = await fixture.pushInputs('proxy/agent');
        const job = {
            'System.CollectionUri': `${fixture.emulator.url}/emulated-organization/`,
            'System.TeamProjectId': randomUUID(),
            'System.HostType': 'build',
            'System.PlanId': randomUUID(),
            'System.JobId': randomUUID(),
        };
        const settings = agentProxy(proxyPassword);

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [awsConnection({ assumeRoleArn: ROLE_ARN, useOIDC: 'true' })],
            variables: { ...job, ...settings.variables },
            secretVariables: { ...settings.secretVariables, 'System.AccessToken': fixture.emulator.oidcAccessToken },
            env: tlsEnvironment(),
        });

        expectSucceeded(run);
        expect(awsCalls()).toEqual(expect.arrayContaining(['OidcToken', 'AssumeRoleWithWebIdentity', 'GetAuthorizationToken']));
        // Each call opens its own tunnel, so as many tunnels as calls means none went around the proxy.
        expect(tunnelsToEmulator()).toBe(awsCalls().length);
        expect(proxy.requests().filter((request) => request.method !== 'CONNECT')).toEqual([]);
        expect(run.output).toContain(`Using the agent's proxy ${proxy.url} for ${emulatorHost()}.`);
        expectNoSecretShown(run, [proxyPassword, fixture.emulator.oidcAccessToken]);
    });

    it('bypasses the agent proxy for listed hosts', async () => {
        const inputs = await fixture.pushInputs('proxy/bypass');
        const settings = agentProxy(proxyPassword, [`^https://${escapeRegExp(emulatorHost())}`]);

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [connectionWithRole()],
            ...settings,
            env: tlsEnvironment(),
        });

        expectSucceeded(run);
        expect(awsCalls()).toEqual(expect.arrayContaining(['AssumeRole', 'GetAuthorizationToken']));
        expect(proxy.requests()).toEqual([]);
        expect(run.output).not.toContain("Using the agent's proxy");
        expectNoSecretShown(run, [proxyPassword]);
    });

    it('uses HTTPS_PROXY without an agent proxy', async () => {
        const inputs = await fixture.pushInputs('proxy/environment');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [connectionWithRole()],
            env: { ...tlsEnvironment(), HTTPS_PROXY: `http://${PROXY_USER}:${proxyPassword}@127.0.0.1:${proxy.port}` },
        });

        expectSucceeded(run);
        expect(awsCalls()).toEqual(expect.arrayContaining(['AssumeRole', 'GetAuthorizationToken']));
        expect(tunnelsToEmulator()).toBe(awsCalls().length);
        expect(run.output).toContain(`Using the proxy ${proxy.url} from the environment for ${emulatorHost()}.`);
        expectPrintedNowhere(run, proxyPassword);
        expectNoSecretShown(run, [proxyPassword]);
    });

    it('skips HTTPS_PROXY for NO_PROXY hosts', async () => {
        const inputs = await fixture.pushInputs('proxy/no-proxy');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [connectionWithRole()],
            env: { ...tlsEnvironment(), HTTPS_PROXY: `http://${PROXY_USER}:${proxyPassword}@127.0.0.1:${proxy.port}`, NO_PROXY: 'localhost,127.0.0.1' },
        });

        expectSucceeded(run);
        expect(awsCalls()).toEqual(expect.arrayContaining(['AssumeRole', 'GetAuthorizationToken']));
        expect(proxy.requests()).toEqual([]);
        expectPrintedNowhere(run, proxyPassword);
    });

    it('fails clearly on a wrong agent proxy password', async () => {
        const inputs = await fixture.pushInputs('proxy/wrong-password');
        const wrongPassword = randomBytes(16).toString('hex');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [connectionWithRole()],
            ...agentProxy(wrongPassword),
            env: tlsEnvironment(),
        });

        const message = failureOf(run);
        expect(run.errors).toEqual([message]);
        expect(message).toMatch(
            new RegExp(
                `^The agent's proxy ${escapeRegExp(proxy.url)} rejected the connection to ${escapeRegExp(emulatorHost())} with HTTP 40[17] [\\w ]+\\. ` +
                    "Check the proxy user name and password in the agent's proxy settings",
            ),
        );
        expect(awsCalls()).toEqual([]);
        expect(proxy.requests()).toEqual([{ method: 'CONNECT', target: emulatorHost() }]);
        expectNoSecretShown(run, [wrongPassword]);
    });

    it('fails clearly on a wrong HTTPS_PROXY password', async () => {
        const inputs = await fixture.pushInputs('proxy/wrong-environment-password');
        const wrongPassword = randomBytes(16).toString('hex');

        const run = await fixture.run(runtime, {
            inputs: { ...inputs, awsCredentials: CONNECTION_ID, regionName: REGION },
            endpoints: [connectionWithRole()],
            env: { ...tlsEnvironment(), HTTPS_PROXY: `http://${PROXY_USER}:${wrongPassword}@127.0.0.1:${proxy.port}` },
        });

        const message = failureOf(run);
        expect(run.errors).toEqual([message]);
        expect(message).toMatch(
            new RegExp(`^The proxy ${escapeRegExp(proxy.url)} from the environment rejected the connection to ${escapeRegExp(emulatorHost())} with HTTP 40[17] `),
        );
        expect(awsCalls()).toEqual([]);
        expectPrintedNowhere(run, wrongPassword);
    });
});
