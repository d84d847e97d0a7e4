import {
    BatchGetImageCommand,
    CreateRepositoryCommand,
    DescribeImagesCommand,
    DescribeRepositoriesCommand,
    ECRClient,
    GetAuthorizationTokenCommand,
    PutImageCommand,
    PutLifecyclePolicyCommand,
    SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

import { addLogging, type AwsClientSettings } from './aws-client';
import { toTaskError } from './aws-errors';
import { TaskError } from './errors';
import type { RepositorySettings } from './repository-settings';
import type { RepositoryDescription } from './tag-mutability';

/** Docker credentials for one registry, from GetAuthorizationToken. */
export interface RegistryAuthorization {
    readonly username: string;
    readonly password: string;
    /** The registry URL, for example https://123456789012.dkr.ecr.us-east-1.amazonaws.com. */
    readonly proxyEndpoint: string;
    /** Host (and port) of the registry, as it appears in image references. */
    readonly registryHost: string;
}

export type RepositoryOutcome = 'created' | 'existed';


/** An image already in an ECR repository. */
export interface RemoteImage {
    readonly digest: string;
    /** Digest of the image configuration, which equals the image ID docker reports. */
    readonly configDigest: string | undefined;
    readonly manifest: string;
    readonly mediaType: string | undefined;
}

export type ImageSelector = { readonly tag: string; readonly digest?: undefined } | { readonly digest: string; readonly tag?: undefined };

/** The ECR calls the push workflow makes. Every call targets the registry of `registryId` when it is set. */
export interface EcrGateway {
    getAuthorization(): Promise<RegistryAuthorization>;
    /** Returns the repository, or undefined when it does not exist. */
    describeRepository(repositoryName: string): Promise<RepositoryDescription | undefined>;
    /** Creates the repository with the settings; another run creating it at the same time counts as 'existed'. */
    createRepository(repositoryName: string, settings: RepositorySettings): Promise<RepositoryOutcome>;
    /** Returns the image behind a tag or digest, or undefined when there is none. */
    findImage(repositoryName: string, selector: ImageSelector): Promise<RemoteImage | undefined>;
    /** Points a tag at an image already in the repository; 'unchanged' when it already did. */
    tagImage(repositoryName: string, image: RemoteImage, tag: string): Promise<'tagged' | 'unchanged'>;
    /** Returns the size ECR reports for an image, in bytes. */
    imageSize(repositoryName: string, digest: string): Promise<number | undefined>;
}

export interface EcrGatewaySettings extends AwsClientSettings {
    readonly credentials: AwsCredentialIdentityProvider;
    readonly credentialSource: string;
    readonly endpoint: string;
    readonly requestHandler: NodeHttpHandler;
    readonly registryId: string | undefined;
    /** Called with each secret of the authorization token before it is used. */
    readonly registerSecret: (secret: string) => void;
}

/** Manifest media types the task reads, so that BatchGetImage returns each image in its own format. */
const MANIFEST_MEDIA_TYPES = [
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
];

/** Builds the ECR gateway on the AWS SDK for JavaScript v3. */
export function createEcrGateway(settings: EcrGatewaySettings): EcrGateway {
    const client = new ECRClient({
        region: settings.region,
        credentials: settings.credentials,
        requestHandler: settings.requestHandler,
        customUserAgent: settings.userAgent,
    });
    addLogging(client.middlewareStack, settings);
    const registryId = settings.registryId;

    const failure = (action: string, error: unknown): TaskError =>
        toTaskError(error, { action, credentialSource: settings.credentialSource, endpoint: settings.endpoint });
    const call = async <T>(action: string, send: () => Promise<T>): Promise<T> => {
        try {
            return await send();
        } catch (error) {
            throw failure(action, error);
        }
    };

    return {
        async getAuthorization() {
            const response = await call('ecr:GetAuthorizationToken', () =>
                client.send(new GetAuthorizationTokenCommand(registryId ? { registryIds: [registryId] } : {})),
            );
            const data = response.authorizationData?.[0];
            if (!data?.authorizationToken) {
                throw new TaskError('AuthorizationTokenMissing');
            }
            if (!data.proxyEndpoint) {
                throw new TaskError('ProxyEndpointMissing');
            }
            return decodeAuthorization(data.authorizationToken, data.proxyEndpoint, settings.registerSecret);
        },

        async describeRepository(repositoryName) {
            try {
                const response = await client.send(new DescribeRepositoriesCommand({ registryId, repositoryNames: [repositoryName] }));
                const repository = response.repositories?.[0];
                return {
                    name: repositoryName,
                    uri: repository?.repositoryUri,
                    imageTagMutability: repository?.imageTagMutability,
                    mutabilityExclusionFilters: (repository?.imageTagMutabilityExclusionFilters ?? [])
                        .map((exclusion) => exclusion.filter)
                        .filter((filter): filter is string => filter !== undefined),
                };
            } catch (error) {
                if ((error as Error).name === 'RepositoryNotFoundException') {
                    return undefined;
                }
                throw failure('ecr:DescribeRepositories', error);
            }
        },

        async createRepository(repositoryName, repositorySettings) {
            try {
                await client.send(
                    new CreateRepositoryCommand({
                        registryId,
                        repositoryName,
                        imageTagMutability: repositorySettings.imageTagMutability,
                        imageScanningConfiguration: { scanOnPush: repositorySettings.scanOnPush },
                        encryptionConfiguration:
                            repositorySettings.encryption.type === 'KMS'
                                ? { encryptionType: 'KMS', kmsKey: repositorySettings.encryption.kmsKey }
                                : { encryptionType: 'AES256' },
                        tags: repositorySettings.tags.length > 0 ? [...repositorySettings.tags] : undefined,
                    }),
                );
            } catch (error) {
                // Another run created the same repository between the describe call and this one.
                if ((error as Error).name === 'RepositoryAlreadyExistsException') {
                    return 'existed';
                }
                throw failure('ecr:CreateRepository', error);
            }

            const lifecyclePolicy = repositorySettings.lifecyclePolicy;
            if (lifecyclePolicy) {
                await call('ecr:PutLifecyclePolicy', () =>
                    client.send(new PutLifecyclePolicyCommand({ registryId, repositoryName, lifecyclePolicyText: lifecyclePolicy.text })),
                );
            }
            const repositoryPolicy = repositorySettings.repositoryPolicy;
            if (repositoryPolicy) {
                await call('ecr:SetRepositoryPolicy', () =>
                    client.send(new SetRepositoryPolicyCommand({ registryId, repositoryName, policyText: repositoryPolicy.text })),
                );
            }
            return 'created';
        },

        async findImage(repositoryName, selector) {
            const imageId = selector.tag !== undefined ? { imageTag: selector.tag } : { imageDigest: selector.digest };
            let response;
            try {
                response = await client.send(
                    new BatchGetImageCommand({ registryId, repositoryName, imageIds: [imageId], acceptedMediaTypes: MANIFEST_MEDIA_TYPES }),
                );
            } catch (error) {
                if ((error as Error).name === 'RepositoryNotFoundException') {
                    return undefined;
                }
                throw failure('ecr:BatchGetImage', error);
            }
            const image = response.images?.[0];
            if (!image?.imageManifest || !image.imageId?.imageDigest) {
                return undefined;
            }
            return {
                digest: image.imageId.imageDigest,
                configDigest: configDigestOf(image.imageManifest),
                manifest: image.imageManifest,
                mediaType: image.imageManifestMediaType,
            };
        },

        async tagImage(repositoryName, image, tag) {
            try {
                await client.send(
                    new PutImageCommand({
                        registryId,
                        repositoryName,
                        imageManifest: image.manifest,
                        imageManifestMediaType: image.mediaType,
                        imageTag: tag,
                    }),
                );
                return 'tagged';
            } catch (error) {
                // ECR returns this error when the tag already points at exactly this manifest.
                if ((error as Error).name === 'ImageAlreadyExistsException') {
                    return 'unchanged';
                }
                throw failure('ecr:PutImage', error);
            }
        },

        async imageSize(repositoryName, digest) {
            const response = await call('ecr:DescribeImages', () =>
                client.send(new DescribeImagesCommand({ registryId, repositoryName, imageIds: [{ imageDigest: digest }] })),
            );
            return response.imageDetails?.[0]?.imageSizeInBytes;
        },
    };
}

function configDigestOf(manifest: string): string | undefined {
    try {
        const digest = (JSON.parse(manifest) as { config?: { digest?: unknown } }).config?.digest;
        return typeof digest === 'string' ? digest : undefined;
    } catch {
        return undefined;
    }
}

/**
 * Splits an ECR authorization token (base64 of `user:password`) and registers
 * the token and the password as secrets before they go anywhere. The user name
 * ECR returns is the fixed, public word `AWS`. Masking it would blank out that
 * word in every line of the log, so it is registered only when it is anything else.
 */
export function decodeAuthorization(
    token: string,
    proxyEndpoint: string,
    registerSecret: (secret: string) => void,
): RegistryAuthorization {
    registerSecret(token);
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const separator = decoded.indexOf(':');
    if (separator <= 0) {
        throw new TaskError('AuthorizationTokenInvalid');
    }
    const username = decoded.slice(0, separator);
    const password = decoded.slice(separator + 1);
    registerSecret(password);
    if (username !== 'AWS') {
        registerSecret(username);
    }

    return { username, password, proxyEndpoint, registryHost: registryHostOf(proxyEndpoint) };
}

/** Returns the host (and port) of a registry URL, as docker expects it in image references. */
export function registryHostOf(proxyEndpoint: string): string {
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(proxyEndpoint) ? proxyEndpoint : `https://${proxyEndpoint}`;
    return new URL(withScheme).host;
}
