import { AwsError } from './aws-error';

export interface ResourceTag {
  readonly Key: string;
  readonly Value: string;
}

export interface EncryptionConfiguration {
  readonly encryptionType: string;
  readonly kmsKey?: string;
}

/** An ECR repository in the emulator's state, with every setting it was created with. */
export interface EcrRepository {
  readonly registryId: string;
  readonly repositoryName: string;
  readonly repositoryArn: string;
  /** `<registry front host>/<name>`: where docker pushes it, standing in for `<account>.dkr.ecr.<region>.amazonaws.com/<name>`. */
  readonly repositoryUri: string;
  /** Region of the request that created it (see the NOTE on RepositoryStore). */
  readonly region: string;
  readonly createdAt: Date;
  readonly imageTagMutability: string;
  readonly imageTagMutabilityExclusionFilters?: readonly unknown[];
  readonly imageScanningConfiguration: { readonly scanOnPush: boolean };
  readonly encryptionConfiguration: EncryptionConfiguration;
  tags: ResourceTag[];
  lifecyclePolicyText?: string;
  repositoryPolicyText?: string;
}

/** Settings of a new repository, as CreateRepository takes them. */
export interface RepositorySettings {
  readonly region?: string;
  readonly imageTagMutability?: string;
  readonly imageTagMutabilityExclusionFilters?: readonly unknown[];
  readonly imageScanningConfiguration?: { readonly scanOnPush?: boolean };
  readonly encryptionConfiguration?: EncryptionConfiguration;
  readonly tags?: readonly ResourceTag[];
  readonly lifecyclePolicyText?: string;
  readonly repositoryPolicyText?: string;
}

const REPOSITORY_NAME_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG_MUTABILITY_VALUES = ['MUTABLE', 'IMMUTABLE', 'MUTABLE_WITH_EXCLUSION', 'IMMUTABLE_WITH_EXCLUSION'];
const ENCRYPTION_TYPES = ['AES256', 'KMS', 'KMS_DSSE'];
const MAX_TAGS = 50;

/** Throws ECR's InvalidParameterException unless a name is a valid repository name. */
export function validateRepositoryName(name: unknown): string {
  if (typeof name !== 'string' || name.length < 2 || name.length > 256 || !REPOSITORY_NAME_PATTERN.test(name)) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at 'repositoryName' failed to satisfy constraint: the name '${String(name)}' must be 2 to 256 characters of lowercase letters, digits and the separators . _ - /`,
    );
  }
  return name;
}

/** Throws ECR's tag errors unless a tag list is valid. */
export function validateTags(tags: unknown): ResourceTag[] {
  if (tags === undefined) {
    return [];
  }
  if (!Array.isArray(tags)) {
    throw new AwsError('InvalidParameterException', "Invalid parameter at 'tags': a list of Key and Value pairs is expected.");
  }
  if (tags.length > MAX_TAGS) {
    throw new AwsError('TooManyTagsException', `A resource may have at most ${MAX_TAGS} tags; ${tags.length} were given.`);
  }

  const keys = new Set<string>();
  return tags.map((tag: { Key?: unknown; Value?: unknown }) => {
    if (typeof tag?.Key !== 'string' || tag.Key.length < 1 || tag.Key.length > 128 || typeof tag.Value !== 'string' || tag.Value.length > 256) {
      throw new AwsError('InvalidTagParameterException', `Invalid tag ${JSON.stringify(tag)}: the key must be 1 to 128 characters and the value at most 256.`);
    }
    if (keys.has(tag.Key)) {
      throw new AwsError('InvalidTagParameterException', `The tag key '${tag.Key}' is given more than once.`);
    }
    keys.add(tag.Key);
    return { Key: tag.Key, Value: tag.Value };
  });
}

/**
 * The repositories of every emulated registry, by registry (account) ID.
 * NOTE: real ECR keeps repositories per account and region, but here they are per
 * account only. Each repository records the region of the request that created it.
 */
export class RepositoryStore {
  private readonly byRegistry = new Map<string, Map<string, EcrRepository>>();

  constructor(
    private readonly defaultRegion: string,
    /** Host of the registry front of an account, which must exist before a repository is created in it. */
    private readonly registryHost: (registryId: string) => string,
  ) {}

  create(registryId: string, name: string, settings: RepositorySettings = {}): EcrRepository {
    validateRepositoryName(name);
    if (this.find(registryId, name)) {
      throw new AwsError('RepositoryAlreadyExistsException', `The repository with name '${name}' already exists in the registry with id '${registryId}'`);
    }

    const region = settings.region ?? this.defaultRegion;
    const repository: EcrRepository = {
      registryId,
      repositoryName: name,
      repositoryArn: `arn:aws:ecr:${region}:${registryId}:repository/${name}`,
      repositoryUri: `${this.registryHost(registryId)}/${name}`,
      region,
      createdAt: new Date(),
      imageTagMutability: validateTagMutability(settings.imageTagMutability),
      imageTagMutabilityExclusionFilters: settings.imageTagMutabilityExclusionFilters,
      imageScanningConfiguration: { scanOnPush: settings.imageScanningConfiguration?.scanOnPush === true },
      encryptionConfiguration: validateEncryption(settings.encryptionConfiguration),
      tags: validateTags(settings.tags),
      lifecyclePolicyText: settings.lifecyclePolicyText,
      repositoryPolicyText: settings.repositoryPolicyText,
    };

    this.registry(registryId).set(name, repository);
    return repository;
  }

  find(registryId: string, name: string): EcrRepository | undefined {
    return this.byRegistry.get(registryId)?.get(name);
  }

  /** Returns a repository or throws ECR's RepositoryNotFoundException. */
  require(registryId: string, name: string): EcrRepository {
    const repository = this.find(registryId, name);
    if (!repository) {
      throw repositoryNotFound(registryId, name);
    }
    return repository;
  }

  findByArn(arn: string): EcrRepository | undefined {
    for (const repositories of this.byRegistry.values()) {
      for (const repository of repositories.values()) {
        if (repository.repositoryArn === arn) {
          return repository;
        }
      }
    }
    return undefined;
  }

  list(registryId: string): EcrRepository[] {
    return [...(this.byRegistry.get(registryId)?.values() ?? [])].sort((a, b) => a.repositoryName.localeCompare(b.repositoryName));
  }

  all(): EcrRepository[] {
    return [...this.byRegistry.values()].flatMap((repositories) => [...repositories.values()]);
  }

  delete(registryId: string, name: string): EcrRepository {
    const repository = this.require(registryId, name);
    this.byRegistry.get(registryId)?.delete(name);
    return repository;
  }

  clear(): void {
    this.byRegistry.clear();
  }

  private registry(registryId: string): Map<string, EcrRepository> {
    let repositories = this.byRegistry.get(registryId);
    if (!repositories) {
      repositories = new Map();
      this.byRegistry.set(registryId, repositories);
    }
    return repositories;
  }
}

export function repositoryNotFound(registryId: string, name: string): AwsError {
  return new AwsError('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${registryId}'`);
}

function validateTagMutability(value: string | undefined): string {
  if (value === undefined) {
    return 'MUTABLE';
  }
  if (!TAG_MUTABILITY_VALUES.includes(value)) {
    throw new AwsError('InvalidParameterException', `Invalid parameter at 'imageTagMutability': '${value}' is not one of ${TAG_MUTABILITY_VALUES.join(', ')}.`);
  }
  return value;
}

function validateEncryption(configuration: EncryptionConfiguration | undefined): EncryptionConfiguration {
  if (configuration === undefined) {
    return { encryptionType: 'AES256' };
  }
  if (!ENCRYPTION_TYPES.includes(configuration.encryptionType)) {
    throw new AwsError('InvalidParameterException', `Invalid parameter at 'encryptionType': '${configuration.encryptionType}' is not one of ${ENCRYPTION_TYPES.join(', ')}.`);
  }
  if (configuration.kmsKey !== undefined && configuration.encryptionType === 'AES256') {
    throw new AwsError('InvalidParameterException', "Invalid parameter: a KMS key can only be given with encryption type 'KMS' or 'KMS_DSSE'.");
  }
  return configuration.kmsKey === undefined ? { encryptionType: configuration.encryptionType } : { encryptionType: configuration.encryptionType, kmsKey: configuration.kmsKey };
}
