import { planCredentials, type CredentialPlanInput } from '../../src/credential-plan';
import { TaskError } from '../../src/errors';
import { loadTaskMessages } from './task-messages';

beforeAll(loadTaskMessages);

const ROLE = 'arn:aws:iam::123456789012:role/push';

function connection(parameters: Record<string, string>) {
    return { id: 'conn-1', scheme: 'UsernamePassword', parameters };
}

function plan(input: Partial<CredentialPlanInput>) {
    return planCredentials({ connection: undefined, variables: {}, maxDurationVariable: undefined, ...input });
}

describe('planCredentials', () => {
    it('uses the connection keys before the task variables', () => {
        const { plan: result } = plan({
            connection: connection({ username: 'AKIACONN', password: 'conn-secret', sessionToken: 'conn-token' }),
            variables: { accessKeyId: 'AKIAVAR', secretAccessKey: 'var-secret' },
        });
        expect(result).toEqual({
            kind: 'keys',
            origin: 'service-connection',
            keys: { accessKeyId: 'AKIACONN', secretAccessKey: 'conn-secret', sessionToken: 'conn-token' },
            role: undefined,
        });
    });

    it('assumes the connection role with its keys', () => {
        const { plan: result } = plan({
            connection: connection({ username: 'AKIACONN', password: 's', assumeRoleArn: ROLE, externalId: 'ext', roleSessionName: 'build' }),
        });
        expect(result.kind).toBe('keys');
        expect(result.role).toEqual({ roleArn: ROLE, sessionName: 'build', externalId: 'ext', durationSeconds: 900 });
    });

    it('assumes a role-only connection with ambient credentials', () => {
        const { plan: result } = plan({ connection: connection({ assumeRoleArn: ROLE, useOIDC: 'false' }) });
        expect(result).toEqual({
            kind: 'ambient',
            origin: 'service-connection',
            role: { roleArn: ROLE, sessionName: 'aws-vsts-tools', externalId: undefined, durationSeconds: 900 },
        });
    });

    it('federates a role-only connection with OIDC on', () => {
        const { plan: result } = plan({ connection: connection({ assumeRoleArn: ROLE, useOIDC: 'True' }) });
        expect(result.kind).toBe('web-identity');
        expect(result).toMatchObject({ connectionId: 'conn-1', role: { roleArn: ROLE } });
    });

    it('uses task variables without a connection', () => {
        const { plan: result } = plan({
            variables: { accessKeyId: 'AKIAVAR', secretAccessKey: 'var-secret', sessionToken: 'tok', assumeRoleArn: ROLE },
        });
        expect(result).toMatchObject({
            kind: 'keys',
            origin: 'task-variables',
            keys: { accessKeyId: 'AKIAVAR', secretAccessKey: 'var-secret', sessionToken: 'tok' },
            role: { roleArn: ROLE },
        });
    });

    it('assumes a variable role with ambient credentials', () => {
        expect(plan({ variables: { assumeRoleArn: ROLE } }).plan).toMatchObject({ kind: 'ambient', origin: 'task-variables' });
    });

    it('falls back to the default chain', () => {
        expect(plan({}).plan).toEqual({ kind: 'ambient', origin: 'default-chain' });
    });

    it.each([
        [{ connection: connection({ username: 'AKIA' }) }, /only one of the access key ID and the secret access key/],
        [{ connection: connection({ password: 'secret' }) }, /only one of the access key ID and the secret access key/],
        [{ connection: connection({}) }, /neither access keys nor a role/],
        [{ connection: { id: 'c', scheme: 'OAuth', parameters: {} } }, /scheme 'OAuth'/],
        [{ variables: { accessKeyId: 'AKIA' } }, /AWS.SecretAccessKey is not/],
    ])('rejects %j', (input, expected) => {
        expect(() => plan(input as Partial<CredentialPlanInput>)).toThrow(TaskError);
        expect(() => plan(input as Partial<CredentialPlanInput>)).toThrow(expected);
    });

    it.each([
        [undefined, 900, undefined],
        ['3600', 3600, undefined],
        ['43200', 43200, undefined],
        ['899', 900, '899'],
        ['43201', 900, '43201'],
        ['one hour', 900, 'one hour'],
        ['1000.5', 900, '1000.5'],
    ])('reads maxduration %s as %d seconds', (value, seconds, rejected) => {
        const decision = plan({ variables: { assumeRoleArn: ROLE }, maxDurationVariable: value });
        expect(decision.plan.role?.durationSeconds).toBe(seconds);
        expect(decision.rejectedMaxDuration).toBe(rejected);
    });
});
