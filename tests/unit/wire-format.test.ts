import { redactHeaders, serviceEndpoint } from '../../src/aws-client';
import { toTaskError } from '../../src/aws-errors';
import { isDaemonUnreachable, parsePushOutput } from '../../src/docker';
import { decodeAuthorization, registryHostOf } from '../../src/ecr';
import { loadTaskMessages } from './task-messages';

beforeAll(loadTaskMessages);

describe('registryHostOf', () => {
    it.each([
        ['https://123456789012.dkr.ecr.us-east-1.amazonaws.com', '123456789012.dkr.ecr.us-east-1.amazonaws.com'],
        ['https://123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn'],
        ['https://123456789012.dkr-ecr.us-east-1.on.aws', '123456789012.dkr-ecr.us-east-1.on.aws'],
        ['https://123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', '123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com'],
        ['http://127.0.0.1:5000', '127.0.0.1:5000'],
        ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com'],
    ])('%s has host %s', (endpoint, host) => {
        expect(registryHostOf(endpoint)).toBe(host);
    });
});

describe('decodeAuthorization', () => {
    it('splits the token and registers the token and password first', () => {
        const registered: string[] = [];
        const token = Buffer.from('AWS:pass:with:colons').toString('base64');
        const authorization = decodeAuthorization(token, 'https://1.dkr.ecr.us-east-1.amazonaws.com', (s) => registered.push(s));
        expect(authorization.username).toBe('AWS');
        expect(authorization.password).toBe('pass:with:colons');
        expect(registered).toEqual([token, 'pass:with:colons']);
    });

    it('registers a user name other than AWS', () => {
        const registered: string[] = [];
        decodeAuthorization(Buffer.from('someone:pw').toString('base64'), 'https://r', (s) => registered.push(s));
        expect(registered).toContain('someone');
    });

    it('rejects a token without a user name', () => {
        expect(() => decodeAuthorization(Buffer.from('nocolon').toString('base64'), 'https://r', () => undefined)).toThrow(
            /not 'user:password'/,
        );
    });
});

describe('redactHeaders', () => {
    it('hides credentials and keeps the rest', () => {
        expect(
            redactHeaders({
                Authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/..., Signature=abc',
                'X-Amz-Security-Token': 'token',
                Cookie: 'c=1',
                'set-cookie': 'c=2',
                'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
            }),
        ).toEqual({
            Authorization: '<redacted>',
            'X-Amz-Security-Token': '<redacted>',
            Cookie: '<redacted>',
            'set-cookie': '<redacted>',
            'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken',
        });
    });
});

describe('serviceEndpoint', () => {
    it.each([
        ['ECR', 'us-east-1', {}, 'https://api.ecr.us-east-1.amazonaws.com'],
        ['STS', 'eu-west-1', {}, 'https://sts.eu-west-1.amazonaws.com'],
        ['ECR', 'cn-north-1', {}, 'https://api.ecr.cn-north-1.amazonaws.com.cn'],
        ['ECR', 'us-east-1', { AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:4566' }, 'http://127.0.0.1:4566'],
        ['STS', 'us-east-1', { AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }, 'http://127.0.0.1:1'],
    ] as const)('%s in %s', (service, region, env, expected) => {
        expect(serviceEndpoint(service, region, env)).toBe(expected);
    });
});

describe('toTaskError', () => {
    const context = { action: 'ecr:GetAuthorizationToken', credentialSource: 'the task variables', endpoint: 'https://e' };

    it.each([
        [{ name: 'UnrecognizedClientException', message: 'bad key' }, /rejected the credentials from the task variables when calling ecr:GetAuthorizationToken/],
        [{ name: 'AccessDeniedException', message: 'not allowed' }, /denied ecr:GetAuthorizationToken: not allowed. Grant this IAM action/],
        [{ name: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, /Could not reach AWS .* at https:\/\/e/],
        [{ name: 'ServerException', message: 'boom' }, /ecr:GetAuthorizationToken failed: ServerException: boom/],
    ])('explains %j', (error, expected) => {
        expect(toTaskError(Object.assign(new Error(error.message), error), context).message).toMatch(expected);
    });
});

describe('docker output', () => {
    it('reads the digest of a push', () => {
        const output = 'latest: digest: sha256:' + 'c'.repeat(64) + ' size: 528\n';
        expect(parsePushOutput(output)).toEqual({ digest: 'sha256:' + 'c'.repeat(64), size: 528 });
        expect(parsePushOutput('nothing here')).toEqual({ digest: undefined, size: undefined });
    });

    it.each([
        ['Cannot connect to the Docker daemon at unix:///x.sock. Is the docker daemon running?', true],
        ['error during connect: Get "http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.47/images/json"', true],
        ['Error response from daemon: No such image: app:latest', false],
    ])('tells daemon errors from %s', (stderr, expected) => {
        expect(isDaemonUnreachable(stderr)).toBe(expected);
    });
});
