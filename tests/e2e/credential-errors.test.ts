import { uniqueRepositoryName } from '../support/names';
import { PushFixture, resultOf } from '../support/push-fixture';
import type { RunTaskOptions } from '../support/run-task';
import { taskRuntimes } from '../support/runtimes';

const fixture = new PushFixture();
let source: { name: string; tag: string };

beforeAll(async () => {
    await fixture.setUp();
    source = await fixture.localImage();
});
afterAll(() => fixture.tearDown());

/** Options that give the task exactly one credential source, with the secret replaced by a wrong one. */
function withWrongSecret(kind: 'service connection' | 'task variables' | 'environment'): Partial<RunTaskOptions> {
    const user = fixture.emulator.addCredentials({ label: `${kind} with a wrong secret` });
    const wrongSecret = `${user.secretAccessKey.slice(0, -4)}XXXX`;
    const noEnvironmentKeys = { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };

    switch (kind) {
        case 'service connection':
            return {
                inputs: { awsCredentials: 'conn' },
                endpoints: [{ id: 'conn', scheme: 'UsernamePassword', parameters: { username: user.accessKeyId, password: wrongSecret } }],
                env: noEnvironmentKeys,
            };
        case 'task variables':
            return {
                variables: { 'AWS.AccessKeyID': user.accessKeyId },
                secretVariables: { 'AWS.SecretAccessKey': wrongSecret },
                env: noEnvironmentKeys,
            };
        case 'environment':
            return { env: { AWS_ACCESS_KEY_ID: user.accessKeyId, AWS_SECRET_ACCESS_KEY: wrongSecret } };
    }
}

describe.each(taskRuntimes())('credential errors under $name', (runtime) => {
    it.each([
        ['service connection', /AWS rejected the credentials from the access keys of the service connection when calling ecr:GetAuthorizationToken: InvalidSignatureException/],
        ['task variables', /AWS rejected the credentials from the AWS\.AccessKeyID and AWS\.SecretAccessKey variables when calling ecr:GetAuthorizationToken: InvalidSignatureException/],
        ['environment', /AWS rejected the credentials from the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables when calling ecr:GetAuthorizationToken: InvalidSignatureException/],
    ] as const)('names the %s whose secret is wrong', async (kind, expected) => {
        const options = withWrongSecret(kind);
        const repository = uniqueRepositoryName('wrong-secret');
        await fixture.emulator.createRepository(repository);

        const run = await fixture.run(runtime, {
            ...options,
            inputs: { sourceImageName: source.name, sourceImageTag: source.tag, repositoryName: repository, ...options.inputs },
        });

        const { result, message } = resultOf(run);
        expect(result).toBe('Failed');
        expect(message).toMatch(expected);
        expect(run.errors).toHaveLength(1);
        expect(run.dockerCalls.map((call) => call.args[0])).not.toContain('login');
    });

    it.each([
        ['an access key ID only', { username: 'AKIAONLYKEYID0000000' }],
        ['a secret access key only', { password: 'only-a-secret' }],
    ])('rejects a service connection with %s', async (_case, parameters) => {
        const before = fixture.emulator.requests.length;

        const run = await fixture.run(runtime, {
            inputs: { awsCredentials: 'half', sourceImageName: source.name, sourceImageTag: source.tag, repositoryName: uniqueRepositoryName('half') },
            endpoints: [{ id: 'half', scheme: 'UsernamePassword', parameters }],
        });

        const { result, message } = resultOf(run);
        expect(result).toBe('Failed');
        expect(message).toBe(
            "The service connection 'half' has only one of the access key ID and the secret access key. Set both, or neither and a role to assume.",
        );
        expect(fixture.emulator.requests.length).toBe(before);
    });

    it('rejects an access key variable without its secret', async () => {
        const before = fixture.emulator.requests.length;

        const run = await fixture.run(runtime, {
            inputs: { sourceImageName: source.name, sourceImageTag: source.tag, repositoryName: uniqueRepositoryName('no-secret') },
            variables: { 'AWS.AccessKeyID': 'AKIAVARIABLEONLY0000' },
            env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined },
        });

        expect(resultOf(run).message).toMatch(/The variable AWS\.AccessKeyID is set but AWS\.SecretAccessKey is not/);
        expect(fixture.emulator.requests.length).toBe(before);
    });
});
