import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BatchGetImageCommand, DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { AwsEmulator, type CredentialRecord } from '../emulator';
import { testServices } from '../rig/environment';
import { runDocker, runDockerChecked } from '../support/docker-cli';
import { createImage, imageExists, listImages, removeImage } from '../support/images';
import { uniqueRepositoryName } from '../support/names';
import { RegistryClient } from '../support/registry-client';
import { repositoryRoot } from '../support/repository-root';
import { runTask, type TaskRun } from '../support/run-task';
import { node20, node24 } from '../support/runtimes';

const services = testServices();
let emulator: AwsEmulator;
let registry: RegistryClient;
let user: CredentialRecord;
let dockerConfig: string;

beforeAll(async () => {
  emulator = await AwsEmulator.start({ registryUrl: services.registryUrl, registryPassword: services.registryPassword });
  registry = new RegistryClient({ url: services.registryUrl, password: services.registryPassword });
});

afterAll(async () => {
  await emulator?.stop();
});

beforeEach(() => {
  emulator.reset();
  user = emulator.addCredentials({ label: 'rig-user' });
  dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), 'rig-docker-config-'));
});

afterEach(() => {
  fs.rmSync(dockerConfig, { recursive: true, force: true });
});

function ecrClient(): ECRClient {
  return new ECRClient({ endpoint: emulator.url, region: 'eu-west-1', credentials: user, maxAttempts: 1 });
}

/** Logs the docker CLI in to a registry front with a token from GetAuthorizationToken, as the task does. */
async function loginWithEcrToken(registryIds?: string[]): Promise<string> {
  const output = await ecrClient().send(new GetAuthorizationTokenCommand({ registryIds }));
  const [data] = output.authorizationData ?? [];
  const [username, password] = Buffer.from(data.authorizationToken ?? '', 'base64').toString('utf8').split(':');

  await runDockerChecked(services.dockerHost, ['login', '--username', username, '--password-stdin', data.proxyEndpoint ?? ''], {
    input: password,
    env: { DOCKER_CONFIG: dockerConfig },
  });
  return new URL(data.proxyEndpoint ?? '').host;
}

async function push(reference: string): Promise<{ exitCode: number | null; output: string }> {
  const result = await runDocker(services.dockerHost, ['push', reference], { env: { DOCKER_CONFIG: dockerConfig } });
  return { exitCode: result.exitCode, output: result.stdout + result.stderr };
}

describe('engine, registry and registry front', () => {
  it('pushes through the registry front', async () => {
    const repository = uniqueRepositoryName('rig/push');
    await emulator.createRepository(repository);
    const host = await loginWithEcrToken();
    const imageId = await createImage(services.dockerHost, `${host}/${repository}:v1`, 256 * 1024);

    const result = await push(`${host}/${repository}:v1`);

    expect(result.output).not.toMatch(/error/i);
    expect(result.exitCode).toBe(0);
    expect(imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await registry.listTags(repository)).toEqual(['v1']);

    const manifest = await registry.getManifest(repository, 'v1');
    const manifestWrites = emulator.registryEvents.filter((event) => event.kind === 'manifest-put');
    expect(manifestWrites).toHaveLength(1);
    expect(manifestWrites[0]).toMatchObject({ repository, reference: 'v1', status: 201, digest: manifest?.digest });

    const completedUploads = emulator.registryEvents.filter((event) => event.kind === 'blob-upload-complete');
    expect(completedUploads.length).toBeGreaterThanOrEqual(2);
    expect(completedUploads.every((event) => event.status === 201 && /^sha256:[0-9a-f]{64}$/.test(event.digest ?? ''))).toBe(true);
    expect(emulator.registryEvents.some((event) => event.kind === 'blob-upload-start')).toBe(true);

    await removeImage(services.dockerHost, imageId, { force: true });
  });

  it('uploads layers again for another repository', async () => {
    const first = uniqueRepositoryName('rig/first');
    const second = uniqueRepositoryName('rig/second');
    await emulator.createRepository(first);
    await emulator.createRepository(second);
    const host = await loginWithEcrToken();
    const imageId = await createImage(services.dockerHost, `${host}/${first}:v1`, 8192);
    await runDockerChecked(services.dockerHost, ['tag', imageId, `${host}/${second}:v1`]);
    expect((await push(`${host}/${first}:v1`)).exitCode).toBe(0);

    const result = await push(`${host}/${second}:v1`);

    const secondEvents = emulator.registryEvents.filter((event) => event.repository === second);
    expect(result.exitCode).toBe(0);
    expect(secondEvents).toContainEqual(expect.objectContaining({ kind: 'blob-mount', status: 202 }));
    expect(secondEvents.filter((event) => event.kind === 'blob-upload-complete').length).toBeGreaterThanOrEqual(1);
    expect(await registry.listTags(second)).toEqual(['v1']);

    await removeImage(services.dockerHost, imageId, { force: true });
  });

  it('rejects a push to unknown repository', async () => {
    const repository = uniqueRepositoryName('rig/unknown');
    const host = await loginWithEcrToken();
    const imageId = await createImage(services.dockerHost, `${host}/${repository}:v1`, 4096);

    const result = await push(`${host}/${repository}:v1`);

    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain(`The repository with name '${repository}' does not exist in the registry with id '123456789012'`);
    expect(emulator.registryEvents.some((event) => event.rejectedWith === 'NAME_UNKNOWN' && event.status === 404)).toBe(true);
    expect(await registry.listTags(repository)).toEqual([]);

    await removeImage(services.dockerHost, imageId, { force: true });
  });

  it('rejects moving an immutable tag', async () => {
    const repository = uniqueRepositoryName('rig/immutable');
    await emulator.createRepository(repository, { imageTagMutability: 'IMMUTABLE' });
    const host = await loginWithEcrToken();
    const first = await createImage(services.dockerHost, `${host}/${repository}:release`, 4096);
    expect((await push(`${host}/${repository}:release`)).exitCode).toBe(0);
    const pushedDigest = await registry.resolveDigest(repository, 'release');
    await removeImage(services.dockerHost, first, { force: true });
    const second = await createImage(services.dockerHost, `${host}/${repository}:release`, 4096);

    const result = await push(`${host}/${repository}:release`);

    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain("The image tag 'release' already exists");
    expect(await registry.resolveDigest(repository, 'release')).toBe(pushedDigest);

    await removeImage(services.dockerHost, second, { force: true });
  });

  it('denies a push step that IAM does not allow', async () => {
    const repository = uniqueRepositoryName('rig/denied');
    await emulator.createRepository(repository);
    emulator.denyAction('ecr:InitiateLayerUpload', { accessKeyId: user.accessKeyId });
    const host = await loginWithEcrToken();
    const imageId = await createImage(services.dockerHost, `${host}/${repository}:v1`, 4096);

    const result = await push(`${host}/${repository}:v1`);

    expect(result.exitCode).not.toBe(0);
    expect(result.output).toContain(`User: ${user.principalArn} is not authorized to perform: ecr:InitiateLayerUpload`);

    await removeImage(services.dockerHost, imageId, { force: true });
  });

  it('keeps other accounts apart', async () => {
    const repository = uniqueRepositoryName('rig/cross');
    const otherAccount = '210987654321';
    await emulator.createRepository(repository, { registryId: otherAccount });
    const host = await loginWithEcrToken([otherAccount]);
    const imageId = await createImage(services.dockerHost, `${host}/${repository}:v1`, 4096);

    const result = await push(`${host}/${repository}:v1`);

    expect(host).not.toBe(emulator.registryFrontHost);
    expect(result.exitCode).toBe(0);
    expect(await registry.listTags(emulator.backendRepositoryName(repository, otherAccount))).toEqual(['v1']);
    expect(await registry.listTags(repository)).toEqual([]);

    await removeImage(services.dockerHost, imageId, { force: true });
  });

  it('serves ECR image operations', async () => {
    const repository = uniqueRepositoryName('rig/images');
    await emulator.createRepository(repository);
    const host = await loginWithEcrToken();
    const imageId = await createImage(services.dockerHost, `${host}/${repository}:v1`, 64 * 1024, { layers: 2 });
    expect((await push(`${host}/${repository}:v1`)).exitCode).toBe(0);
    const client = ecrClient();

    const described = await client.send(new DescribeImagesCommand({ repositoryName: repository }));
    const fetched = await client.send(new BatchGetImageCommand({ repositoryName: repository, imageIds: [{ imageTag: 'v1' }] }));
    const [image] = fetched.images ?? [];
    await client.send(new PutImageCommand({ repositoryName: repository, imageManifest: image.imageManifest, imageManifestMediaType: image.imageManifestMediaType, imageTag: 'promoted' }));

    const digest = await registry.resolveDigest(repository, 'v1');
    expect(described.imageDetails?.[0]).toMatchObject({ imageDigest: digest, imageTags: ['v1'] });
    expect(described.imageDetails?.[0].imageSizeInBytes).toBeGreaterThan(64 * 1024);
    expect(image.imageId?.imageDigest).toBe(digest);
    expect(await registry.listTags(repository)).toEqual(['promoted', 'v1']);
    expect(await registry.resolveDigest(repository, 'promoted')).toBe(digest);

    await removeImage(services.dockerHost, imageId, { force: true });
  });
});

describe('image helpers', () => {
  it('creates, lists and removes an image', async () => {
    const reference = `local/${uniqueRepositoryName('helpers')}:v1`;

    const imageId = await createImage(services.dockerHost, reference, 1024);
    const listed = await listImages(services.dockerHost);
    await removeImage(services.dockerHost, reference);

    expect(listed).toContainEqual({ id: imageId, reference });
    expect(await imageExists(services.dockerHost, reference)).toBe(false);
  });
});

describe('runTask harness', () => {
  let scriptDirectory: string;
  const runs: TaskRun[] = [];

  beforeAll(() => {
    scriptDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-task-'));
  });

  afterEach(() => {
    runs.splice(0).forEach((run) => run.cleanup());
  });

  afterAll(() => {
    fs.rmSync(scriptDirectory, { recursive: true, force: true });
  });

  /** Writes a small task that uses the real task library, standing in for the built task. */
  function writeFakeTask(body: string): string {
    const taskLib = path.join(repositoryRoot(), 'node_modules', 'azure-pipelines-task-lib', 'task');
    const file = path.join(scriptDirectory, `task-${Date.now()}-${Math.random().toString(36).slice(2)}.js`);
    fs.writeFileSync(file, `const tl = require(${JSON.stringify(taskLib)});\nconst { execFileSync } = require('child_process');\n${body}\n`);
    return file;
  }

  it.each([
    ['Node 20', () => node20().path, 20],
    ['Node 24', () => node24().path, 24],
  ])('passes inputs, endpoints and variables under %s', async (_name, nodeBinary, major) => {
    const taskScript = writeFakeTask(`
      const secret = tl.getEndpointAuthorizationParameter('connection-1', 'password', false);
      tl.setSecret(secret);
      console.log('major=' + process.versions.node.split('.')[0]);
      console.log('input=' + tl.getInput('repositoryName', true));
      console.log('region=' + tl.getVariable('AWS.Region'));
      console.log('secret variable=' + tl.getVariable('AWS.SecretAccessKey'));
      console.log('password=' + secret);
      console.log('aws env=' + Object.keys(process.env).filter((name) => name.startsWith('AWS_')).sort().join(','));
      tl.setVariable('pushedImage', 'host/repo:tag', false, true);
      tl.error('something to report');
      tl.setResult(tl.TaskResult.Succeeded, 'all done');
    `);

    const run = await runTask({
      nodeBinary: nodeBinary(),
      taskScript,
      inputs: { repositoryName: 'team/app' },
      endpoints: [{ id: 'connection-1', scheme: 'UsernamePassword', parameters: { username: 'AKIAEXAMPLE', password: 'endpoint-password' } }],
      variables: { 'AWS.Region': 'eu-north-1' },
      secretVariables: { 'AWS.SecretAccessKey': 'variable-secret' },
      env: { AWS_DEFAULT_REGION: 'us-east-2' },
    });
    runs.push(run);

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(`major=${major}`);
    expect(run.stdout).toContain('input=team/app');
    expect(run.stdout).toContain('region=eu-north-1');
    // As on a real agent, the variable AWS.Region also reaches the task as the environment variable AWS_REGION.
    // AWS_EC2_METADATA_SERVICE_ENDPOINT is runTask's loopback guard against the real metadata address.
    expect(run.stdout).toContain('aws env=AWS_DEFAULT_REGION,AWS_EC2_METADATA_SERVICE_ENDPOINT,AWS_REGION\n');
    expect(run.result).toEqual({ result: 'Succeeded', message: 'all done' });
    expect(run.variables).toContainEqual({ name: 'pushedImage', value: 'host/repo:tag', isOutput: true, isSecret: false });
    expect(run.secrets).toEqual(['endpoint-password']);
    expect(run.errors).toEqual(['something to report']);
    expect(run.maskedOutput()).toContain('password=***');
    expect(run.maskedOutput()).toContain('secret variable=***');
    expect(run.maskedOutput()).not.toContain('endpoint-password');
  });

  it('records the docker commands the task runs', async () => {
    const taskScript = writeFakeTask(`
      const config = require('path').join(tl.getVariable('Agent.TempDirectory'), 'docker-config');
      execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { env: { ...process.env, DOCKER_CONFIG: config }, stdio: 'inherit' });
    `);

    const run = await runTask({ taskScript, inputs: {} });
    runs.push(run);

    expect(run.exitCode).toBe(0);
    expect(run.dockerCalls).toHaveLength(1);
    expect(run.dockerCalls[0].args).toEqual(['version', '--format', '{{.Server.Version}}']);
    expect(run.dockerCalls[0].dockerConfig).toBe(path.join(run.directories.agentTemp, 'docker-config'));
    expect(run.dockerCalls[0].dockerHost).toBe(services.dockerHost);
  });

  it('sends SIGTERM once a text appears', async () => {
    const taskScript = writeFakeTask(`
      process.on('SIGTERM', () => { console.log('cleaning up after SIGTERM'); process.exit(143); });
      console.log('pushing now');
      setTimeout(() => console.log('not cancelled'), 20000);
    `);

    const run = await runTask({ taskScript, inputs: {}, signalWhen: { text: 'pushing now' } });
    runs.push(run);

    expect(run.signalSent).toBe(true);
    expect(run.exitCode).toBe(143);
    expect(run.stdout).toContain('cleaning up after SIGTERM');
    expect(run.stdout).not.toContain('not cancelled');
  });
});
