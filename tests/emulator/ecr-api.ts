import { AwsError } from './aws-error';
import type { CredentialRecord } from './credential-store';
import { EcrImages, epochSeconds, type ImageIdentifier } from './ecr-images';
import { type EcrRepository, type RepositoryStore, validateRepositoryName, validateTags } from './ecr-repositories';

/** Who is calling, from the verified SigV4 signature. */
export interface EcrCaller {
  readonly credentials: CredentialRecord;
  readonly region: string;
}

export interface EcrApiDependencies {
  readonly repositories: RepositoryStore;
  readonly images: EcrImages;
  readonly registryPassword: string;
  /** Returns the registry front URL of an account, starting the front when the account has none yet. */
  readonly registryFrontUrl: (registryId: string) => Promise<string>;
  /** Called when a caller gets a registry token, so the front can name that caller in its errors. */
  readonly onAuthorizationToken?: (registryId: string, caller: EcrCaller) => void;
}

type Input = Record<string, unknown>;
type Handler = (input: Input, caller: EcrCaller) => Promise<unknown>;

/** ECR authorization tokens are valid for 12 hours. */
const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;
const REGISTRY_ID_PATTERN = /^[0-9]{12}$/;

/** The ECR operations of the AWS JSON 1.1 API (target prefix AmazonEC2ContainerRegistry_V20150921). */
export class EcrApi {
  private readonly handlers: Record<string, Handler> = {
    GetAuthorizationToken: (input, caller) => this.getAuthorizationToken(input, caller),
    DescribeRepositories: (input, caller) => this.describeRepositories(input, caller),
    CreateRepository: (input, caller) => this.createRepository(input, caller),
    DeleteRepository: async (input, caller) => ({ repository: toRepositoryShape(this.dependencies.repositories.delete(registryIdOf(input, caller), requireName(input))) }),
    DescribeImages: (input, caller) => this.describeImages(input, caller),
    BatchGetImage: (input, caller) => this.batchGetImage(input, caller),
    PutImage: (input, caller) => this.putImage(input, caller),
    PutLifecyclePolicy: (input, caller) => this.putLifecyclePolicy(input, caller),
    GetLifecyclePolicy: (input, caller) => this.getLifecyclePolicy(input, caller),
    SetRepositoryPolicy: (input, caller) => this.setRepositoryPolicy(input, caller),
    GetRepositoryPolicy: (input, caller) => this.getRepositoryPolicy(input, caller),
    TagResource: async (input) => this.tagResource(input),
    UntagResource: async (input) => this.untagResource(input),
    ListTagsForResource: async (input) => ({ tags: this.repositoryByArn(input.resourceArn).tags }),
  };

  constructor(private readonly dependencies: EcrApiDependencies) {}

  get operations(): string[] {
    return Object.keys(this.handlers);
  }

  /** Runs one operation; AWS errors are thrown as AwsError. */
  async handle(operation: string, input: Input, caller: EcrCaller): Promise<unknown> {
    const handler = this.handlers[operation];
    if (!handler) {
      throw new AwsError('UnknownOperationException', `The ECR emulator does not implement the operation '${operation}'.`);
    }
    return handler(input, caller);
  }

  private async getAuthorizationToken(input: Input, caller: EcrCaller): Promise<unknown> {
    const requested = input.registryIds;
    const registryIds = Array.isArray(requested) && requested.length > 0 ? requested.map(validateRegistryId) : [caller.credentials.accountId];
    const authorizationToken = Buffer.from(`AWS:${this.dependencies.registryPassword}`).toString('base64');
    const expiresAt = epochSeconds(new Date(Date.now() + TOKEN_LIFETIME_MS));

    const authorizationData = [];
    for (const registryId of registryIds) {
      authorizationData.push({ authorizationToken, expiresAt, proxyEndpoint: await this.dependencies.registryFrontUrl(registryId) });
      this.dependencies.onAuthorizationToken?.(registryId, caller);
    }
    return { authorizationData };
  }

  private async describeRepositories(input: Input, caller: EcrCaller): Promise<unknown> {
    const registryId = registryIdOf(input, caller);
    const names = input.repositoryNames;

    let repositories: EcrRepository[];
    if (Array.isArray(names) && names.length > 0) {
      repositories = names.map((name) => this.dependencies.repositories.require(registryId, validateRepositoryName(name)));
    } else {
      repositories = this.dependencies.repositories.list(registryId);
    }

    const page = paginate(repositories, input);
    return { repositories: page.items.map(toRepositoryShape), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  private async createRepository(input: Input, caller: EcrCaller): Promise<unknown> {
    const registryId = registryIdOf(input, caller);
    const name = validateRepositoryName(input.repositoryName);

    // The front must exist before the repository, because the repository URI names its host.
    await this.dependencies.registryFrontUrl(registryId);
    const repository = this.dependencies.repositories.create(registryId, name, {
      region: caller.region,
      imageTagMutability: input.imageTagMutability as string | undefined,
      imageTagMutabilityExclusionFilters: input.imageTagMutabilityExclusionFilters as unknown[] | undefined,
      imageScanningConfiguration: input.imageScanningConfiguration as { scanOnPush?: boolean } | undefined,
      encryptionConfiguration: input.encryptionConfiguration as { encryptionType: string; kmsKey?: string } | undefined,
      tags: input.tags as { Key: string; Value: string }[] | undefined,
    });
    return { repository: toRepositoryShape(repository) };
  }

  private async describeImages(input: Input, caller: EcrCaller): Promise<unknown> {
    const repository = this.repositoryOf(input, caller);
    const filter = input.filter as { tagStatus?: string } | undefined;
    const details = await this.dependencies.images.describeImages(repository, input.imageIds as ImageIdentifier[] | undefined, filter?.tagStatus);

    const page = paginate(details, input);
    return { imageDetails: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  private async batchGetImage(input: Input, caller: EcrCaller): Promise<unknown> {
    const repository = this.repositoryOf(input, caller);
    if (!Array.isArray(input.imageIds) || input.imageIds.length === 0) {
      throw new AwsError('InvalidParameterException', "Invalid parameter at 'imageIds': at least one image ID is required.");
    }
    // NOTE: acceptedMediaTypes is recorded in the request log but not applied; manifests come back as stored.
    return this.dependencies.images.batchGetImage(repository, input.imageIds as ImageIdentifier[]);
  }

  private async putImage(input: Input, caller: EcrCaller): Promise<unknown> {
    const repository = this.repositoryOf(input, caller);
    if (typeof input.imageManifest !== 'string' || input.imageManifest.length === 0) {
      throw new AwsError('InvalidParameterException', "Invalid parameter at 'imageManifest': a manifest is required.");
    }

    const image = await this.dependencies.images.putImage(repository, {
      imageManifest: input.imageManifest,
      imageManifestMediaType: input.imageManifestMediaType as string | undefined,
      imageTag: input.imageTag as string | undefined,
      imageDigest: input.imageDigest as string | undefined,
    });
    return { image };
  }

  private async putLifecyclePolicy(input: Input, caller: EcrCaller): Promise<unknown> {
    const repository = this.repositoryOf(input, caller);
    const text = requireJsonDocument(input.lifecyclePolicyText, 'lifecyclePolicyText');

    const rules = (JSON.parse(text) as { rules?: unknown }).rules;
    if (!Array.isArray(rules) || rules.length === 0) {
      throw new AwsError('InvalidParameterException', "Invalid parameter at 'lifecyclePolicyText': the policy must have a non-empty 'rules' list.");
    }

    repository.lifecyclePolicyText = text;
    return { registryId: repository.registryId, repositoryName: repository.repositoryName, lifecyclePolicyText: text };
  }

  private async getLifecyclePolicy(input: Input, caller: EcrCaller): Promise<unknown> {
    const repository = this.repositoryOf(input, caller);
    if (repository.lifecyclePolicyText === undefined) {
      throw new AwsError(
        'LifecyclePolicyNotFoundException',
        `The repository with name '${repository.repositoryName}' in the registry with id '${repository.registryId}' has no lifecycle policy`,
      );
    }
    return { registryId: repository.registryId, repositoryName: repository.repositoryName, lifecyclePolicyText: repository.lifecyclePolicyText };
  }

  private async setRepositoryPolicy(input: Input, caller: EcrCaller): Promise<unknown> {
    const repository = this.repositoryOf(input, caller);
    const text = requireJsonDocument(input.policyText, 'policyText');

    const statements = (JSON.parse(text) as { Statement?: unknown }).Statement;
    if (statements === undefined) {
      throw new AwsError('InvalidParameterException', "Invalid parameter at 'policyText': the policy has no 'Statement'.");
    }

    repository.repositoryPolicyText = text;
    return { registryId: repository.registryId, repositoryName: repository.repositoryName, policyText: text };
  }

  private async getRepositoryPolicy(input: Input, caller: EcrCaller): Promise<unknown> {
    const repository = this.repositoryOf(input, caller);
    if (repository.repositoryPolicyText === undefined) {
      throw new AwsError(
        'RepositoryPolicyNotFoundException',
        `The repository with name '${repository.repositoryName}' in the registry with id '${repository.registryId}' has no repository policy`,
      );
    }
    return { registryId: repository.registryId, repositoryName: repository.repositoryName, policyText: repository.repositoryPolicyText };
  }

  private tagResource(input: Input): unknown {
    const repository = this.repositoryByArn(input.resourceArn);
    const added = validateTags(input.tags);
    const merged = new Map(repository.tags.map((tag) => [tag.Key, tag.Value]));
    for (const tag of added) {
      merged.set(tag.Key, tag.Value);
    }

    repository.tags = validateTags([...merged].map(([Key, Value]) => ({ Key, Value })));
    return {};
  }

  private untagResource(input: Input): unknown {
    const repository = this.repositoryByArn(input.resourceArn);
    const removed = new Set(Array.isArray(input.tagKeys) ? input.tagKeys : []);
    repository.tags = repository.tags.filter((tag) => !removed.has(tag.Key));
    return {};
  }

  private repositoryOf(input: Input, caller: EcrCaller): EcrRepository {
    return this.dependencies.repositories.require(registryIdOf(input, caller), requireName(input));
  }

  private repositoryByArn(arn: unknown): EcrRepository {
    if (typeof arn !== 'string' || !/^arn:aws[a-z-]*:ecr:[a-z0-9-]+:[0-9]{12}:repository\/.+$/.test(arn)) {
      throw new AwsError('InvalidParameterException', `Invalid parameter at 'resourceArn': '${String(arn)}' is not an ECR repository ARN.`);
    }

    const repository = this.dependencies.repositories.findByArn(arn);
    if (!repository) {
      const [, , , , registryId, resource] = arn.split(':');
      throw new AwsError('RepositoryNotFoundException', `The repository with name '${resource.slice('repository/'.length)}' does not exist in the registry with id '${registryId}'`);
    }
    return repository;
  }
}

function registryIdOf(input: Input, caller: EcrCaller): string {
  return input.registryId === undefined ? caller.credentials.accountId : validateRegistryId(input.registryId);
}

function validateRegistryId(value: unknown): string {
  if (typeof value !== 'string' || !REGISTRY_ID_PATTERN.test(value)) {
    throw new AwsError('InvalidParameterException', `Invalid parameter at 'registryId': '${String(value)}' is not a 12-digit AWS account ID.`);
  }
  return value;
}

function requireName(input: Input): string {
  return validateRepositoryName(input.repositoryName);
}

function requireJsonDocument(value: unknown, parameter: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new AwsError('InvalidParameterException', `Invalid parameter at '${parameter}': a JSON document is required.`);
  }
  try {
    JSON.parse(value);
  } catch (error) {
    throw new AwsError('InvalidParameterException', `Invalid parameter at '${parameter}': the text is not valid JSON (${(error as Error).message}).`);
  }
  return value;
}

/** Pages a list with maxResults and a nextToken that is the index of the next item. */
function paginate<T>(items: readonly T[], input: Input): { items: T[]; nextToken?: string } {
  const start = typeof input.nextToken === 'string' ? Number.parseInt(input.nextToken, 10) || 0 : 0;
  const size = typeof input.maxResults === 'number' && input.maxResults > 0 ? input.maxResults : 1000;
  const end = start + size;
  return { items: items.slice(start, end), nextToken: end < items.length ? String(end) : undefined };
}

/** Converts a repository to the repository object of ECR's API responses. */
export function toRepositoryShape(repository: EcrRepository): Record<string, unknown> {
  return {
    repositoryArn: repository.repositoryArn,
    registryId: repository.registryId,
    repositoryName: repository.repositoryName,
    repositoryUri: repository.repositoryUri,
    createdAt: epochSeconds(repository.createdAt),
    imageTagMutability: repository.imageTagMutability,
    ...(repository.imageTagMutabilityExclusionFilters ? { imageTagMutabilityExclusionFilters: repository.imageTagMutabilityExclusionFilters } : {}),
    imageScanningConfiguration: repository.imageScanningConfiguration,
    encryptionConfiguration: repository.encryptionConfiguration,
  };
}
