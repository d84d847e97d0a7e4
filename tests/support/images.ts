import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runDocker, runDockerChecked } from './docker-cli';

/** A local image as `docker image ls` lists it. */
export interface LocalImage {
  /** Full image ID, `sha256:…`. */
  readonly id: string;
  /** `repository:tag`, or `<none>:<none>` for an untagged image. */
  readonly reference: string;
}

const TAR_BLOCK = 512;

/**
 * Creates a unique image of about sizeBytes from random bytes, with no network
 * access. One layer is made with `docker import`; more layers with a
 * `FROM scratch` build, one random file per layer. Returns the full image ID.
 */
export async function createImage(dockerHost: string, reference: string, sizeBytes: number, options: { readonly layers?: number } = {}): Promise<string> {
  const layers = options.layers ?? 1;
  if (layers <= 1) {
    const archive = makeTarArchive('payload.bin', randomBytes(sizeBytes));
    const result = await runDockerChecked(dockerHost, ['import', '-', reference], { input: archive });
    return result.stdout.trim();
  }

  return buildLayeredImage(dockerHost, reference, sizeBytes, layers);
}

async function buildLayeredImage(dockerHost: string, reference: string, sizeBytes: number, layers: number): Promise<string> {
  const context = fs.mkdtempSync(path.join(os.tmpdir(), 'image-context-'));
  try {
    const layerSize = Math.ceil(sizeBytes / layers);
    const lines = ['FROM scratch'];
    for (let layer = 1; layer <= layers; layer++) {
      fs.writeFileSync(path.join(context, `layer-${layer}.bin`), randomBytes(layerSize));
      lines.push(`COPY layer-${layer}.bin /layer-${layer}.bin`);
    }
    fs.writeFileSync(path.join(context, 'Dockerfile'), `${lines.join('\n')}\n`);

    // The classic builder needs no buildx plugin and no network for a FROM scratch image.
    await runDockerChecked(dockerHost, ['build', '--quiet', '--tag', reference, context], { env: { DOCKER_BUILDKIT: '0' } });
    return imageId(dockerHost, reference);
  } finally {
    fs.rmSync(context, { recursive: true, force: true });
  }
}

/** Makes a ustar archive holding one regular file. */
function makeTarArchive(fileName: string, content: Buffer): Buffer {
  const header = Buffer.alloc(TAR_BLOCK);
  header.write(fileName, 0, 100, 'utf8');
  header.write('0000644\0', 100, 'ascii');
  header.write('0000000\0', 108, 'ascii');
  header.write('0000000\0', 116, 'ascii');
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.write(`${Math.floor(Date.now() / 1000).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');

  // The checksum is the byte sum of the header with its own field read as spaces.
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');

  const padding = Buffer.alloc((TAR_BLOCK - (content.length % TAR_BLOCK)) % TAR_BLOCK);
  return Buffer.concat([header, content, padding, Buffer.alloc(TAR_BLOCK * 2)]);
}

/** Returns the full ID of a local image; throws when it does not exist. */
export async function imageId(dockerHost: string, reference: string): Promise<string> {
  const result = await runDockerChecked(dockerHost, ['image', 'inspect', '--format', '{{.Id}}', reference]);
  return result.stdout.trim();
}

export async function imageExists(dockerHost: string, reference: string): Promise<boolean> {
  const result = await runDocker(dockerHost, ['image', 'inspect', '--format', '{{.Id}}', reference]);
  return result.exitCode === 0;
}

/** Lists local images, one entry per tag (an untagged image has one entry). */
export async function listImages(dockerHost: string): Promise<LocalImage[]> {
  const result = await runDockerChecked(dockerHost, ['image', 'ls', '--all', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']);
  return result.stdout
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const [id, reference] = line.trim().split(' ');
      return { id, reference };
    });
}

/** Adds a tag to a local image. */
export async function tagImage(dockerHost: string, source: string, target: string): Promise<void> {
  await runDockerChecked(dockerHost, ['tag', source, target]);
}

/** Removes a local image; with force, also when other tags or stopped containers use it. Missing images are ignored. */
export async function removeImage(dockerHost: string, reference: string, options: { readonly force?: boolean } = {}): Promise<void> {
  const args = ['image', 'rm', ...(options.force ? ['--force'] : []), reference];
  const result = await runDocker(dockerHost, args);
  if (result.exitCode !== 0 && !/No such image/i.test(result.stderr)) {
    throw new Error(`docker ${args.join(' ')} failed with exit code ${result.exitCode}: ${result.stderr.trim()}`);
  }
}
