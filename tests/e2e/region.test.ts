import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CredentialRecord } from '../emulator';
import type { RunTaskOptions } from '../support/run-task';
import { taskRuntimes } from '../support/runtimes';
import { expectNoSecretShown, expectSucceeded, failureOf, SourceFixture, startSilentServer } from '../support/source-fixture';

// Each test gives the task a region from one or more sources, each with a region of its
// own, and reads the region the task used from the SigV4 credential scope of its ECR calls.

const fixture = new SourceFixture();
let scratch: string;
let user: CredentialRecord;

beforeAll(() => fixture.setUp());
afterAll(() => fixture.tearDown());

beforeEach(() => {
    fixture.emulator.reset();
    user = fixture.emulator.addCredentials({ label: 'agent-environment' });
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'region-sources-'));
});

afterEach(() => {
    fs.rmSync(scratch, { recursive: true, force: true });
});

/** One place the task can take the region from. */
interface RegionSource {
    readonly region: string;
    /** What the task log names as the source. */
    readonly logPhrase: string;
    readonly options: Pick<RunTaskOptions, 'variables' | 'env'> & { readonly inputs?: Record<string, string> };
}

type RegionSourceName = 'input' | 'variable' | 'agentEnvironment' | 'defaultRegion' | 'profile' | 'instanceMetadata';

const VARIABLE_PHRASE = 'the AWS.Region variable or the AWS_REGION environment variable';

function writeConfig(content: string): string {
    const file = path.join(scratch, 'config');
    fs.writeFileSync(file, content);
    return file;
}

const REGION_SOURCES: Record<RegionSourceName, () => RegionSource> = {
    input: () => ({ region: 'ap-south-1', logPhrase: 'the regionName input', options: { inputs: { regionName: 'ap-south-1' } } }),
    variable: () => ({ region: 'eu-north-1', logPhrase: VARIABLE_PHRASE, options: { variables: { 'AWS.Region': 'eu-north-1' } } }),
    // The agent turns the variable AWS.Region into the environment variable AWS_REGION, so a
    // run can't hold both with different values. This source is AWS_REGION set on the agent
    // machine, with no pipeline variable: it ranks where the variable does.
    agentEnvironment: () => ({ region: 'ca-central-1', logPhrase: VARIABLE_PHRASE, options: { env: { AWS_REGION: 'ca-central-1' } } }),
    defaultRegion: () => ({ region: 'sa-east-1', logPhrase: 'the AWS_DEFAULT_REGION environment variable', options: { env: { AWS_DEFAULT_REGION: 'sa-east-1' } } }),
    profile: () => ({
        region: 'ap-northeast-2',
        logPhrase: 'the shared AWS config profile',
        options: { env: { AWS_CONFIG_FILE: writeConfig('[default]\nregion = ap-northeast-2\n'), AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'no-credentials') } },
    }),
    instanceMetadata: () => {
        fixture.emulator.configureInstanceMetadata({ region: 'me-south-1', availabilityZone: 'me-south-1a', requireToken: true });
        return { region: 'me-south-1', logPhrase: 'the EC2 instance metadata', options: { env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: fixture.emulator.url } } };
    },
};

function combine(sources: readonly RegionSource[]): RegionSource['options'] {
    return {
        inputs: Object.assign({}, ...sources.map((source) => source.options.inputs)),
        variables: Object.assign({}, ...sources.map((source) => source.options.variables)),
        env: Object.assign({}, ...sources.map((source) => source.options.env)),
    };
}

function environmentKeys(): Record<string, string> {
    return { AWS_ACCESS_KEY_ID: user.accessKeyId, AWS_SECRET_ACCESS_KEY: user.secretAccessKey };
}

/** Returns the regions of the SigV4 credential scopes of the task's ECR calls, without repeats. */
function ecrSigningRegions(): (string | undefined)[] {
    return [...new Set(fixture.emulator.requests.filter((request) => request.service === 'ecr').map((request) => request.region))];
}

// Each row lists the sources present, the expected one first.
const PRECEDENCE: readonly (readonly RegionSourceName[])[] = [
    ['input', 'variable', 'defaultRegion', 'profile', 'instanceMetadata'],
    ['variable', 'defaultRegion', 'profile', 'instanceMetadata'],
    ['agentEnvironment', 'defaultRegion', 'profile', 'instanceMetadata'],
    ['defaultRegion', 'profile', 'instanceMetadata'],
    ['profile', 'instanceMetadata'],
    ['instanceMetadata'],
];

describe.each(taskRuntimes())('region sources under $name', (runtime) => {
    it.each(PRECEDENCE.map((row) => [row[0], row.slice(1).join(', ') || 'no other source', row] as const))('%s wins over %s', async (_winner, _others, row) => {
        const sources = row.map((name) => REGION_SOURCES[name]());
        const [winner] = sources;
        const options = combine(sources);
        const inputs = await fixture.pushInputs('region/precedence');

        const run = await fixture.run(runtime, { ...options, inputs: { ...inputs, ...options.inputs }, env: { ...environmentKeys(), ...options.env } });

        expectSucceeded(run);
        expect(fixture.signersOf('GetAuthorizationToken')).toEqual([user.accessKeyId]);
        expect(ecrSigningRegions()).toEqual([winner.region]);
        expect(run.output).toContain(`Using region ${winner.region}, from ${winner.logPhrase}.`);
        expectNoSecretShown(run, [user.accessKeyId, user.secretAccessKey, fixture.services.registryPassword]);
    });

    it('reads the region over IMDSv1 when the token is refused', async () => {
        fixture.emulator.configureInstanceMetadata({ region: 'af-south-1', availabilityZone: 'af-south-1a', tokenRefusal: 403, requireToken: false });
        const inputs = await fixture.pushInputs('region/imds-v1');

        const run = await fixture.run(runtime, { inputs, env: { ...environmentKeys(), AWS_EC2_METADATA_SERVICE_ENDPOINT: fixture.emulator.url } });

        expectSucceeded(run);
        const tokenRequests = fixture.emulator.requests.filter((request) => request.operation === 'InstanceMetadataToken');
        const identityReads = fixture.emulator.requests.filter((request) => request.path === '/latest/dynamic/instance-identity/document');
        expect(tokenRequests.map((request) => request.status)).toEqual([403]);
        expect(identityReads.map((request) => [request.status, request.headers['x-aws-ec2-metadata-token']])).toEqual([[200, undefined]]);
        expect(ecrSigningRegions()).toEqual(['af-south-1']);
        expect(run.output).toContain('Using region af-south-1, from the EC2 instance metadata.');
    });

    it('trims and lowercases the input', async () => {
        const inputs = await fixture.pushInputs('region/input-case');

        const run = await fixture.run(runtime, { inputs: { ...inputs, regionName: '  EU-West-3 ' }, env: environmentKeys() });

        expectSucceeded(run);
        expect(ecrSigningRegions()).toEqual(['eu-west-3']);
    });

    it('signs STS calls in the same region', async () => {
        const roleArn = 'arn:aws:iam::123456789012:role/ecr-pusher';
        const inputs = await fixture.pushInputs('region/sts');
        const profile = REGION_SOURCES.profile();

        const run = await fixture.run(runtime, {
            inputs,
            variables: { 'AWS.AssumeRoleArn': roleArn },
            env: { ...environmentKeys(), ...profile.options.env },
        });

        expectSucceeded(run);
        const assumeRole = fixture.emulator.requests.filter((request) => request.operation === 'AssumeRole');
        expect(assumeRole.map((request) => [request.region, request.signingService])).toEqual([[profile.region, 'sts']]);
        expect(ecrSigningRegions()).toEqual([profile.region]);
    });

    // A guard against hanging where no metadata service replies, not a speed test: the
    // agent must give up on instance metadata within seconds.
    it.each([
        ['a refused connection', async () => ({ url: 'http://127.0.0.1:9', close: async () => undefined })],
        ['a service that never answers', startSilentServer],
    ])('fails without a region behind %s', async (_case, startMetadata) => {
        const metadata = await startMetadata();
        const inputs = await fixture.pushInputs('region/none');
        const started = Date.now();

        try {
            const run = await fixture.run(runtime, { inputs, env: { ...environmentKeys(), AWS_EC2_METADATA_SERVICE_ENDPOINT: metadata.url } });

            const message = failureOf(run);
            expect(run.errors).toEqual([message]);
            expect(message).toBe(
                'No AWS region is set. The task looked at the regionName input, the AWS.Region variable, the AWS_REGION and AWS_DEFAULT_REGION environment variables, ' +
                    'the shared AWS config profile and the EC2 instance metadata. Set the regionName input.',
            );
            expect(fixture.emulator.requests.filter((request) => request.service === 'ecr' || request.service === 'sts')).toEqual([]);
            expect(Date.now() - started).toBeLessThan(15_000);
        } finally {
            await metadata.close();
        }
    });
});
