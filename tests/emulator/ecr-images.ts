import { createHash } from 'node:crypto';
import { RegistryApiError, type RegistryClient, type RegistryManifest } from '../support/registry-client';
import { AwsError } from './aws-error';
import type { EcrRepository } from './ecr-repositories';

/** An image identifier as the ECR API takes it: a tag, a digest, or both. */
export interface ImageIdentifier {
  readonly imageTag?: string;
  readonly imageDigest?: string;
}

/** Maps an emulated repository to its name in the backing registry. */
export type BackendNaming = (registryId: string, repositoryName: string) => string;

const DOCKER_MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';

/** Tells whether ECR would refuse to move a tag in this repository to another image. */
export function isTagImmutable(repository: EcrRepository, tag: string): boolean {
  const immutableByDefault = repository.imageTagMutability.startsWith('IMMUTABLE');
  const excluded = (repository.imageTagMutabilityExclusionFilters ?? []).some((filter) => matchesWildcard(filter, tag));
  return excluded ? !immutableByDefault : immutableByDefault;
}

function matchesWildcard(filter: unknown, tag: string): boolean {
  const pattern = (filter as { filter?: unknown })?.filter;
  if (typeof pattern !== 'string') {
    return false;
  }
  const expression = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${expression}$`).test(tag);
}

export function immutableTagError(repository: EcrRepository, tag: string): AwsError {
  return new AwsError(
    'ImageTagAlreadyExistsException',
    `The image tag '${tag}' already exists in the '${repository.repositoryName}' repository and cannot be overwritten because the repository has immutable tags.`,
  );
}

/** Sums the layer sizes of an image manifest; an index has no layers of its own and returns undefined. */
export function imageSizeInBytes(manifestBody: string): number | undefined {
  const manifest = JSON.parse(manifestBody) as { layers?: { size?: number }[] };
  return manifest.layers?.reduce((total, layer) => total + (layer.size ?? 0), 0);
}

/** When each image was pushed, by repository and digest; DescribeImages reports it as imagePushedAt. */
export class PushTimes {
  private readonly times = new Map<string, Date>();

  record(registryId: string, repositoryName: string, digest: string, time = new Date()): void {
    this.times.set(`${registryId}/${repositoryName}@${digest}`, time);
  }

  find(registryId: string, repositoryName: string, digest: string): Date | undefined {
    return this.times.get(`${registryId}/${repositoryName}@${digest}`);
  }

  clear(): void {
    this.times.clear();
  }
}

/**
 * The ECR image operations. They read and write the backing registry, so
 * digests and manifests are the registry's own.
 */
export class EcrImages {
  constructor(
    private readonly registry: RegistryClient,
    private readonly backendName: BackendNaming,
    private readonly pushTimes: PushTimes,
  ) {}

  /** Returns every tag of a repository with the digest it points at. */
  async tagDigests(repository: EcrRepository): Promise<Map<string, string>> {
    const name = this.backendName(repository.registryId, repository.repositoryName);
    const tagDigests = new Map<string, string>();

    for (const tag of await this.registry.listTags(name)) {
      const digest = await this.registry.resolveDigest(name, tag);
      if (digest) {
        tagDigests.set(tag, digest);
      }
    }
    return tagDigests;
  }

  async describeImages(repository: EcrRepository, imageIds: readonly ImageIdentifier[] | undefined, tagStatus: string | undefined): Promise<Record<string, unknown>[]> {
    const tagDigests = await this.tagDigests(repository);
    const tagsByDigest = new Map<string, string[]>();
    for (const [tag, digest] of tagDigests) {
      tagsByDigest.set(digest, [...(tagsByDigest.get(digest) ?? []), tag]);
    }

    let digests: string[];
    if (imageIds && imageIds.length > 0) {
      digests = [];
      for (const imageId of imageIds) {
        const manifest = await this.findManifest(repository, imageId);
        if (!manifest) {
          throw imageNotFound(repository, imageId);
        }
        digests.push(manifest.digest);
      }
    } else {
      // NOTE: the registry API lists tags only, so untagged images are never listed here.
      digests = tagStatus === 'UNTAGGED' ? [] : [...tagsByDigest.keys()];
    }

    const details: Record<string, unknown>[] = [];
    for (const digest of new Set(digests)) {
      const manifest = await this.registry.getManifest(this.backendName(repository.registryId, repository.repositoryName), digest);
      if (!manifest) {
        continue;
      }
      const tags = tagsByDigest.get(digest) ?? [];
      const config = (JSON.parse(manifest.body) as { config?: { mediaType?: string } }).config;
      details.push({
        registryId: repository.registryId,
        repositoryName: repository.repositoryName,
        imageDigest: digest,
        ...(tags.length > 0 ? { imageTags: tags.sort() } : {}),
        imageSizeInBytes: imageSizeInBytes(manifest.body),
        imagePushedAt: epochSeconds(this.pushTimes.find(repository.registryId, repository.repositoryName, digest) ?? new Date()),
        imageManifestMediaType: manifest.mediaType,
        ...(config?.mediaType ? { artifactMediaType: config.mediaType } : {}),
      });
    }
    return details;
  }

  async batchGetImage(repository: EcrRepository, imageIds: readonly ImageIdentifier[]): Promise<{ images: unknown[]; failures: unknown[] }> {
    const images: unknown[] = [];
    const failures: unknown[] = [];

    for (const imageId of imageIds) {
      if (!imageId.imageTag && !imageId.imageDigest) {
        failures.push({ imageId, failureCode: 'MissingDigestAndTag', failureReason: 'The image ID has neither a tag nor a digest.' });
        continue;
      }

      const manifest = await this.findManifest(repository, imageId);
      if (!manifest) {
        failures.push({ imageId, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
        continue;
      }
      if (imageId.imageDigest && imageId.imageTag && manifest.digest !== imageId.imageDigest) {
        failures.push({ imageId, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: `The tag '${imageId.imageTag}' points at ${manifest.digest}, not at ${imageId.imageDigest}.` });
        continue;
      }

      images.push({
        registryId: repository.registryId,
        repositoryName: repository.repositoryName,
        imageId: { imageDigest: manifest.digest, ...(imageId.imageTag ? { imageTag: imageId.imageTag } : {}) },
        imageManifest: manifest.body,
        imageManifestMediaType: manifest.mediaType,
      });
    }
    return { images, failures };
  }

  async putImage(
    repository: EcrRepository,
    input: { imageManifest: string; imageManifestMediaType?: string; imageTag?: string; imageDigest?: string },
  ): Promise<Record<string, unknown>> {
    const digest = `sha256:${createHash('sha256').update(input.imageManifest).digest('hex')}`;
    if (input.imageDigest && input.imageDigest !== digest) {
      throw new AwsError('ImageDigestDoesNotMatchException', `The manifest digest is ${digest}, not the ${input.imageDigest} given.`);
    }

    const mediaType = input.imageManifestMediaType ?? (JSON.parse(input.imageManifest) as { mediaType?: string }).mediaType ?? DOCKER_MANIFEST_V2;
    const backendName = this.backendName(repository.registryId, repository.repositoryName);

    if (input.imageTag) {
      const current = await this.registry.resolveDigest(backendName, input.imageTag);
      if (current === digest) {
        throw new AwsError(
          'ImageAlreadyExistsException',
          `The image with digest '${digest}' is already tagged '${input.imageTag}' in the repository with name '${repository.repositoryName}' in the registry with id '${repository.registryId}'`,
        );
      }
      if (current !== undefined && isTagImmutable(repository, input.imageTag)) {
        throw immutableTagError(repository, input.imageTag);
      }
    }

    let storedDigest: string;
    try {
      storedDigest = await this.registry.putManifest(backendName, input.imageTag ?? digest, input.imageManifest, mediaType);
    } catch (error) {
      throw manifestWriteError(error, repository);
    }
    this.pushTimes.record(repository.registryId, repository.repositoryName, storedDigest);

    return {
      registryId: repository.registryId,
      repositoryName: repository.repositoryName,
      imageId: { imageDigest: storedDigest, ...(input.imageTag ? { imageTag: input.imageTag } : {}) },
      imageManifest: input.imageManifest,
      imageManifestMediaType: mediaType,
    };
  }

  private async findManifest(repository: EcrRepository, imageId: ImageIdentifier): Promise<RegistryManifest | undefined> {
    const reference = imageId.imageTag ?? imageId.imageDigest;
    return reference ? this.registry.getManifest(this.backendName(repository.registryId, repository.repositoryName), reference) : undefined;
  }
}

function imageNotFound(repository: EcrRepository, imageId: ImageIdentifier): AwsError {
  return new AwsError(
    'ImageNotFoundException',
    `The image with imageId {imageDigest:'${imageId.imageDigest ?? 'null'}', imageTag:'${imageId.imageTag ?? 'null'}'} does not exist within the repository with name '${repository.repositoryName}' in the registry with id '${repository.registryId}'`,
  );
}

function manifestWriteError(error: unknown, repository: EcrRepository): AwsError {
  if (error instanceof RegistryApiError && error.codes.includes('MANIFEST_BLOB_UNKNOWN')) {
    return new AwsError('LayersNotFoundException', `Layers required by the manifest do not exist in the repository with name '${repository.repositoryName}' in the registry with id '${repository.registryId}': ${error.message}`);
  }
  if (error instanceof RegistryApiError && error.status === 400) {
    return new AwsError('InvalidParameterException', `Invalid parameter at 'imageManifest': ${error.message}`);
  }
  return new AwsError('ServerException', `Storing the manifest failed: ${(error as Error).message}`, 500);
}

/** ECR's JSON protocol sends timestamps as seconds since the epoch. */
export function epochSeconds(time: Date): number {
  return time.getTime() / 1000;
}
