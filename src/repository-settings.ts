import { TaskError } from './errors';
import { describeJsonError } from './json-syntax';

/** Settings the task gives a repository it creates. An existing repository is never changed. */
export interface RepositorySettings {
    readonly imageTagMutability: 'MUTABLE' | 'IMMUTABLE';
    readonly scanOnPush: boolean;
    readonly encryption: { readonly type: 'AES256' } | { readonly type: 'KMS'; readonly kmsKey: string | undefined };
    readonly tags: readonly { readonly Key: string; readonly Value: string }[];
    readonly lifecyclePolicy: PolicyDocument | undefined;
    readonly repositoryPolicy: PolicyDocument | undefined;
}

/** A JSON policy read from a file, kept as the text AWS receives. */
export interface PolicyDocument {
    readonly file: string;
    readonly text: string;
}

const MUTABILITY_VALUES = ['MUTABLE', 'IMMUTABLE'] as const;
const ENCRYPTION_VALUES = ['AES256', 'KMS'] as const;
const TAG_KEY_MAX_LENGTH = 128;
const TAG_VALUE_MAX_LENGTH = 256;

/** Reads and validates the repository settings inputs, including the policy files they name. */
export function parseRepositorySettings(
    read: (name: string) => string | undefined,
    readFile: (path: string) => string,
): RepositorySettings {
    const text = (name: string): string => (read(name) ?? '').trim();

    const imageTagMutability = pickOption('imageTagMutability', text('imageTagMutability') || 'MUTABLE', MUTABILITY_VALUES);
    const encryptionType = pickOption('encryptionType', text('encryptionType') || 'AES256', ENCRYPTION_VALUES);
    const kmsKey = text('kmsKey') || undefined;
    if (kmsKey && encryptionType !== 'KMS') {
        throw new TaskError('KmsKeyWithoutKms', kmsKey);
    }

    const lifecyclePolicyFile = text('lifecyclePolicyFile');
    const repositoryPolicyFile = text('repositoryPolicyFile');

    return {
        imageTagMutability,
        scanOnPush: text('scanOnPush').toLowerCase() === 'true',
        encryption: encryptionType === 'KMS' ? { type: 'KMS', kmsKey } : { type: 'AES256' },
        tags: parseResourceTags(read('repositoryTags') ?? ''),
        lifecyclePolicy: lifecyclePolicyFile ? readPolicy('lifecyclePolicyFile', lifecyclePolicyFile, readFile, checkLifecyclePolicy) : undefined,
        repositoryPolicy: repositoryPolicyFile ? readPolicy('repositoryPolicyFile', repositoryPolicyFile, readFile, checkRepositoryPolicy) : undefined,
    };
}

function pickOption<T extends string>(input: string, value: string, options: readonly T[]): T {
    const option = options.find((candidate) => candidate === value.toUpperCase());
    if (!option) {
        throw new TaskError('InvalidOption', input, value, options.join(', '));
    }
    return option;
}

/** Parses resource tags given one `key=value` per line. */
export function parseResourceTags(value: string): { Key: string; Value: string }[] {
    const tags: { Key: string; Value: string }[] = [];
    for (const line of value.split(/\r?\n/)) {
        const entry = line.trim();
        if (!entry) {
            continue;
        }
        const separator = entry.indexOf('=');
        const key = separator > 0 ? entry.slice(0, separator).trim() : '';
        const tagValue = separator > 0 ? entry.slice(separator + 1).trim() : '';
        if (!key || key.length > TAG_KEY_MAX_LENGTH || tagValue.length > TAG_VALUE_MAX_LENGTH) {
            throw new TaskError('InvalidRepositoryTag', entry);
        }
        if (tags.some((tag) => tag.Key === key)) {
            throw new TaskError('DuplicateRepositoryTag', key);
        }
        tags.push({ Key: key, Value: tagValue });
    }
    return tags;
}

function readPolicy(
    input: string,
    file: string,
    readFile: (path: string) => string,
    check: (document: unknown) => string | undefined,
): PolicyDocument {
    let text: string;
    try {
        // Editors on Windows often save UTF-8 with a byte order mark, which JSON.parse rejects.
        text = readFile(file).replace(/^\uFEFF/, '');
    } catch (error) {
        throw new TaskError('PolicyFileUnreadable', input, file, (error as Error).message);
    }

    let document: unknown;
    try {
        document = JSON.parse(text);
    } catch (error) {
        throw new TaskError('PolicyFileInvalidJson', input, file, describeJsonError(text, error as Error));
    }
    const problem = check(document);
    if (problem) {
        throw new TaskError('PolicyFileInvalid', input, file, problem);
    }
    return { file, text };
}

function checkLifecyclePolicy(document: unknown): string | undefined {
    const rules = (document as { rules?: unknown } | null)?.rules;
    if (!Array.isArray(rules) || rules.length === 0) {
        return 'a lifecycle policy needs a non-empty "rules" array';
    }
    for (const [index, rule] of rules.entries()) {
        const { rulePriority, selection, action } = (rule ?? {}) as Record<string, unknown>;
        if (!Number.isInteger(rulePriority) || !isJsonObject(selection) || !isJsonObject(action)) {
            return `rule ${index + 1} needs an integer "rulePriority", a "selection" object and an "action" object`;
        }
    }
    return undefined;
}

function checkRepositoryPolicy(document: unknown): string | undefined {
    const statement = (document as { Statement?: unknown } | null)?.Statement;
    if (statement === null || typeof statement !== 'object' || (Array.isArray(statement) && statement.length === 0)) {
        return 'a repository policy needs a "Statement"';
    }
    return undefined;
}

function isJsonObject(value: unknown): boolean {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Tells whether any setting differs from what CreateRepository does with no settings. */
export function hasCustomSettings(settings: RepositorySettings): boolean {
    return (
        settings.imageTagMutability !== 'MUTABLE' ||
        settings.scanOnPush ||
        settings.encryption.type !== 'AES256' ||
        settings.tags.length > 0 ||
        settings.lifecyclePolicy !== undefined ||
        settings.repositoryPolicy !== undefined
    );
}
