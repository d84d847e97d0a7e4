import * as fs from 'node:fs';
import * as path from 'node:path';

import * as ts from 'typescript';

const root = path.join(__dirname, '..', '..');

interface TaskInput {
    name: string;
    type: string;
    label?: string;
    defaultValue?: string | boolean;
    required?: boolean;
    groupName?: string;
    visibleRule?: string;
    helpMarkDown?: string;
    options?: Record<string, string>;
    properties?: Record<string, string>;
}

interface TaskManifest {
    id: string;
    name: string;
    friendlyName: string;
    instanceNameFormat: string;
    version: { Major: number; Minor: number; Patch: number };
    groups?: { name: string; displayName: string }[];
    inputs: TaskInput[];
    execution: Record<string, { target: string }>;
    messages: Record<string, string>;
}

interface InputDescriptor {
    id: string;
    name: string;
    description: string;
    inputMode: string;
    isConfidential?: boolean;
    validation?: { isRequired?: boolean; dataType?: string };
    values?: { defaultValue?: string };
}

interface Contribution {
    id: string;
    type: string;
    targets: string[];
    properties: {
        name: string;
        displayName?: string;
        authenticationSchemes?: { type: string; inputDescriptors: InputDescriptor[] }[];
    };
}

interface ExtensionManifest {
    manifestVersion: number;
    id: string;
    publisher: string;
    version?: string;
    name: string;
    description: string;
    categories: string[];
    targets: { id: string }[];
    icons: { default: string };
    content: { details: { path: string }; license: { path: string } };
    files: { path: string; packagePath?: string }[];
    contributions: Contribution[];
}

function readJson<T>(relativePath: string): T {
    return JSON.parse(fs.readFileSync(path.join(root, relativePath), 'utf8')) as T;
}

const task = readJson<TaskManifest>('task.json');
const extension = readJson<ExtensionManifest>('vss-extension.json');
const inputsByName = new Map(task.inputs.map((input) => [input.name, input]));

/** Input types of the task.json schema of azure-pipelines-task-lib (tasks.schema.json), besides connectedService:<type>. */
const KNOWN_INPUT_TYPES = ['boolean', 'filePath', 'multiLine', 'pickList', 'radio', 'secureFile', 'string'];

function isKnownInputType(type: string): boolean {
    return KNOWN_INPUT_TYPES.includes(type) || /^connectedService:[A-Za-z0-9_.-]+(:[A-Za-z0-9_,.-]+)?$/.test(type);
}

function hasEditableOptions(input: TaskInput): boolean {
    return input.properties?.EditableOptions?.toLowerCase() === 'true';
}

interface RuleCondition {
    inputName: string;
    operator: string;
    value: string;
}

/** Splits a visibleRule such as `a = x && b != y` into its conditions, or returns undefined when a clause has another form. */
function parseVisibleRule(rule: string): RuleCondition[] | undefined {
    const conditions: RuleCondition[] = [];
    for (const clause of rule.split(/&&|\|\|/)) {
        const match = /^\s*([A-Za-z][A-Za-z0-9]*)\s*(!=|=)\s*(\S+)\s*$/.exec(clause);
        if (!match) {
            return undefined;
        }
        conditions.push({ inputName: match[1], operator: match[2], value: match[3] });
    }
    return conditions;
}

/** Values a visibleRule may compare an input with, or undefined when any value is possible. */
function comparableValues(input: TaskInput): string[] | undefined {
    if (input.type === 'boolean') {
        return ['true', 'false'];
    }
    if (input.type === 'radio' || input.type === 'pickList') {
        return Object.keys(input.options ?? {});
    }
    return undefined;
}

describe('task.json', () => {
    it('has valid identity fields', () => {
        expect(task.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
        expect(task.name).toBe('ECRPushImage');
        expect(task.version.Major).toBe(1);
        // tfx rejects a friendly name longer than 40 characters.
        expect(task.friendlyName.length).toBeLessThanOrEqual(40);
    });

    it('uses valid input names and types', () => {
        for (const input of task.inputs) {
            expect({ input: input.name, validName: /^[A-Za-z][A-Za-z0-9]*$/.test(input.name) }).toEqual({ input: input.name, validName: true });
            expect({ input: input.name, type: input.type, known: isKnownInputType(input.type) }).toEqual({ input: input.name, type: input.type, known: true });
        }
    });

    it('has no duplicate input names', () => {
        expect(inputsByName.size).toBe(task.inputs.length);
    });

    it('uses "true" or "false" as boolean defaults', () => {
        for (const input of task.inputs.filter((candidate) => candidate.type === 'boolean')) {
            expect({ input: input.name, defaultValue: input.defaultValue }).toEqual({
                input: input.name,
                defaultValue: expect.stringMatching(/^(true|false)$/),
            });
        }
    });

    it('defaults choice inputs to an option', () => {
        for (const input of task.inputs.filter((candidate) => candidate.type === 'pickList' || candidate.type === 'radio')) {
            const options = Object.keys(input.options ?? {});
            const defaultValue = String(input.defaultValue ?? '');
            const allowed = hasEditableOptions(input) ? ['', ...options] : options;

            expect(options.length).toBeGreaterThan(0);
            expect({ input: input.name, defaultValue, isOption: allowed.includes(defaultValue) }).toEqual({
                input: input.name,
                defaultValue,
                isOption: true,
            });
        }
    });

    it('puts inputs only into declared groups', () => {
        const groupNames = (task.groups ?? []).map((group) => group.name);
        for (const input of task.inputs.filter((candidate) => candidate.groupName !== undefined)) {
            expect({ input: input.name, group: input.groupName, declared: groupNames.includes(input.groupName!) }).toEqual({
                input: input.name,
                group: input.groupName,
                declared: true,
            });
        }
    });

    it('names existing inputs and values in visibleRule', () => {
        for (const input of task.inputs.filter((candidate) => candidate.visibleRule !== undefined)) {
            const conditions = parseVisibleRule(input.visibleRule!);
            expect({ input: input.name, rule: input.visibleRule, readable: conditions !== undefined }).toEqual({
                input: input.name,
                rule: input.visibleRule,
                readable: true,
            });

            for (const condition of conditions ?? []) {
                const target = inputsByName.get(condition.inputName);
                expect({ input: input.name, refersTo: condition.inputName, exists: target !== undefined }).toEqual({
                    input: input.name,
                    refersTo: condition.inputName,
                    exists: true,
                });

                const values = target && comparableValues(target);
                if (values) {
                    expect({ input: input.name, rule: input.visibleRule, value: condition.value, valid: values.includes(condition.value) }).toEqual({
                        input: input.name,
                        rule: input.visibleRule,
                        value: condition.value,
                        valid: true,
                    });
                }
            }
        }
    });

    it('names existing inputs in instanceNameFormat', () => {
        const references = [...task.instanceNameFormat.matchAll(/\$\(([^)]+)\)/g)].map((match) => match[1]);
        for (const reference of references) {
            expect({ reference, isInput: inputsByName.has(reference) }).toEqual({ reference, isInput: true });
        }
    });

    it('runs one target on Node24 and Node20_1', () => {
        expect(task.execution.Node24?.target).toBe('index.js');
        expect(task.execution.Node20_1?.target).toBe(task.execution.Node24?.target);
    });
});

describe('task.json inputs of ECRPushImage@1', () => {
    // Existing pipelines set these inputs by name, so names, types and defaults must not change.
    const originalInputs: { name: string; type: string; defaultValue: string; group?: string }[] = [
        { name: 'awsCredentials', type: 'connectedService:AWS', defaultValue: '' },
        { name: 'regionName', type: 'pickList', defaultValue: '' },
        { name: 'imageSource', type: 'radio', defaultValue: 'imagename' },
        { name: 'sourceImageName', type: 'string', defaultValue: '' },
        { name: 'sourceImageTag', type: 'string', defaultValue: 'latest' },
        { name: 'sourceImageId', type: 'string', defaultValue: '' },
        { name: 'repositoryName', type: 'string', defaultValue: '' },
        { name: 'pushTag', type: 'string', defaultValue: 'latest' },
        { name: 'autoCreateRepository', type: 'boolean', defaultValue: 'false' },
        { name: 'forceDockerNamingConventions', type: 'boolean', defaultValue: 'false' },
        { name: 'removeDockerImage', type: 'boolean', defaultValue: 'false' },
        { name: 'outputVariable', type: 'string', defaultValue: '', group: 'output' },
        { name: 'logRequest', type: 'boolean', defaultValue: 'false', group: 'diagnostic' },
        { name: 'logResponse', type: 'boolean', defaultValue: 'false', group: 'diagnostic' },
    ];

    it.each(originalInputs)('keeps $name as $type with default "$defaultValue"', (expected) => {
        const input = inputsByName.get(expected.name);

        expect(input).toBeDefined();
        expect(input?.type).toBe(expected.type);
        expect(String(input?.defaultValue ?? '')).toBe(expected.defaultValue);
        if (expected.group) {
            expect(input?.groupName).toBe(expected.group);
        }
    });

    it('requires repositoryName', () => {
        expect(inputsByName.get('repositoryName')?.required).toBe(true);
    });

    it('lets regionName take a typed region code', () => {
        expect(hasEditableOptions(inputsByName.get('regionName')!)).toBe(true);
    });

    it('offers imagename and imageid as image sources', () => {
        expect(Object.keys(inputsByName.get('imageSource')?.options ?? {})).toEqual(expect.arrayContaining(['imagename', 'imageid']));
    });

    it('shows source inputs per image source', () => {
        expect(inputsByName.get('sourceImageName')?.visibleRule).toBe('imageSource = imagename');
        expect(inputsByName.get('sourceImageTag')?.visibleRule).toBe('imageSource = imagename');
        expect(inputsByName.get('sourceImageId')?.visibleRule).toBe('imageSource = imageid');
    });
});

// Message keys in src/ are checked on the syntax tree, so that a key passed
// through a conditional, a constant or a small helper function is still found.

interface KeyReference {
    key: string;
    location: string;
}

interface SourceScan {
    references: KeyReference[];
    unresolved: string[];
    stringLiterals: Set<string>;
}

/** Parameter names that forward a key given by the caller, whose own call site is checked instead. */
const FORWARDED_KEY_PARAMETERS = new Set(['key', 'messageKey']);

function sourceFiles(): ts.SourceFile[] {
    const directory = path.join(root, 'src');
    return fs
        .readdirSync(directory, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
        .map((file) => {
            const fullPath = path.join(directory, file);
            return ts.createSourceFile(fullPath, fs.readFileSync(fullPath, 'utf8'), ts.ScriptTarget.ES2022, true);
        });
}

function describeLocation(node: ts.Node): string {
    const sourceFile = node.getSourceFile();
    const { line } = sourceFile.getLineAndCharacterOfPosition(node.getStart());
    return `${path.relative(root, sourceFile.fileName)}:${line + 1}`;
}

/** Maps each error class whose constructor has a `messageKey` parameter to that parameter's position. */
function findKeyedErrorClasses(files: ts.SourceFile[]): Map<string, number> {
    const classes = new Map<string, number>();
    const visit = (node: ts.Node): void => {
        if (ts.isClassDeclaration(node) && node.name) {
            const constructor = node.members.find(ts.isConstructorDeclaration);
            const index = constructor?.parameters.findIndex((parameter) => parameter.name.getText() === 'messageKey') ?? -1;
            if (index >= 0) {
                classes.set(node.name.text, index);
            }
        }
        ts.forEachChild(node, visit);
    };
    files.forEach(visit);
    return classes;
}

function enclosingFunction(node: ts.Node): ts.SignatureDeclaration | undefined {
    for (let current = node.parent; current; current = current.parent) {
        if (ts.isFunctionLike(current)) {
            return current;
        }
    }
    return undefined;
}

function findFunction(sourceFile: ts.SourceFile, name: string): ts.FunctionDeclaration | undefined {
    let found: ts.FunctionDeclaration | undefined;
    const visit = (node: ts.Node): void => {
        if (ts.isFunctionDeclaration(node) && node.name?.text === name) {
            found = node;
        }
        if (!found) {
            ts.forEachChild(node, visit);
        }
    };
    visit(sourceFile);
    return found;
}

function findConstInitializer(sourceFile: ts.SourceFile, name: string): ts.Expression | undefined {
    let found: ts.Expression | undefined;
    const visit = (node: ts.Node): void => {
        if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.name.text === name && node.initializer) {
            found = node.initializer;
        }
        if (!found) {
            ts.forEachChild(node, visit);
        }
    };
    visit(sourceFile);
    return found;
}

function returnedExpressions(declaration: ts.FunctionDeclaration): ts.Expression[] {
    const expressions: ts.Expression[] = [];
    const visit = (node: ts.Node): void => {
        if (ts.isReturnStatement(node) && node.expression) {
            expressions.push(node.expression);
        }
        // Returns of nested functions belong to those functions.
        if (!ts.isFunctionLike(node)) {
            ts.forEachChild(node, visit);
        }
    };
    if (declaration.body) {
        ts.forEachChild(declaration.body, visit);
    }
    return expressions;
}

/**
 * Returns the message keys an expression can evaluate to: `'forwarded'` for a
 * parameter that passes the caller's key on, or undefined when the key can't
 * be determined from the source.
 */
function resolveKeys(expression: ts.Expression, depth = 0): string[] | 'forwarded' | undefined {
    if (depth > 5) {
        return undefined;
    }
    if (ts.isStringLiteral(expression) || ts.isNoSubstitutionTemplateLiteral(expression)) {
        return [expression.text];
    }
    if (ts.isParenthesizedExpression(expression) || ts.isAsExpression(expression) || ts.isSatisfiesExpression(expression)) {
        return resolveKeys(expression.expression, depth + 1);
    }
    if (ts.isObjectLiteralExpression(expression)) {
        // Reached through a lookup such as KEYS[action]: any property value may be the key.
        const keys: string[] = [];
        for (const property of expression.properties) {
            const resolved = ts.isPropertyAssignment(property) ? resolveKeys(property.initializer, depth + 1) : undefined;
            if (!Array.isArray(resolved)) {
                return undefined;
            }
            keys.push(...resolved);
        }
        return keys;
    }
    if (ts.isElementAccessExpression(expression) && ts.isIdentifier(expression.expression)) {
        return resolveKeys(expression.expression, depth + 1);
    }
    if (ts.isConditionalExpression(expression)) {
        const whenTrue = resolveKeys(expression.whenTrue, depth + 1);
        const whenFalse = resolveKeys(expression.whenFalse, depth + 1);
        return Array.isArray(whenTrue) && Array.isArray(whenFalse) ? [...whenTrue, ...whenFalse] : undefined;
    }
    if (ts.isIdentifier(expression)) {
        const parameter = enclosingFunction(expression)?.parameters.find((candidate) => candidate.name.getText() === expression.text);
        if (parameter) {
            return FORWARDED_KEY_PARAMETERS.has(expression.text) ? 'forwarded' : undefined;
        }
        const initializer = findConstInitializer(expression.getSourceFile(), expression.text);
        return initializer ? resolveKeys(initializer, depth + 1) : undefined;
    }
    if (ts.isCallExpression(expression) && ts.isIdentifier(expression.expression)) {
        const declaration = findFunction(expression.getSourceFile(), expression.expression.text);
        if (!declaration) {
            return undefined;
        }
        const keys: string[] = [];
        for (const returned of returnedExpressions(declaration)) {
            const resolved = resolveKeys(returned, depth + 1);
            if (!Array.isArray(resolved)) {
                return undefined;
            }
            keys.push(...resolved);
        }
        return keys;
    }
    return undefined;
}

/** Finds the key argument of `*.loc(key, ...)` and of `new SomeError(..., messageKey, ...)`. */
function keyArgument(node: ts.Node, errorClasses: Map<string, number>): ts.Expression | undefined {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'loc') {
        return node.arguments[0];
    }
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
        const index = errorClasses.get(node.expression.text);
        return index === undefined ? undefined : node.arguments?.[index];
    }
    return undefined;
}

function scanSources(): SourceScan {
    const files = sourceFiles();
    const errorClasses = findKeyedErrorClasses(files);
    const scan: SourceScan = { references: [], unresolved: [], stringLiterals: new Set() };

    const visit = (node: ts.Node): void => {
        if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
            scan.stringLiterals.add(node.text);
        }

        const argument = keyArgument(node, errorClasses);
        if (argument) {
            const keys = resolveKeys(argument);
            if (keys === undefined) {
                scan.unresolved.push(`${describeLocation(argument)}: ${argument.getText()}`);
            } else if (keys !== 'forwarded') {
                scan.references.push(...keys.map((key) => ({ key, location: describeLocation(argument) })));
            }
        }
        ts.forEachChild(node, visit);
    };
    files.forEach(visit);
    return scan;
}

describe('task.json messages', () => {
    const scan = scanSources();
    const messageKeys = Object.keys(task.messages);

    it('finds message keys in src', () => {
        expect(scan.references.length).toBeGreaterThan(0);
    });

    it('resolves every key argument', () => {
        // A key built at run time can't be checked. Pass a literal, a conditional of literals, a constant
        // object of literals indexed by a value, or a helper function that returns literals.
        expect(scan.unresolved).toEqual([]);
    });

    it('defines every key that src uses', () => {
        const missing = scan.references.filter((reference) => !(reference.key in task.messages));
        expect(missing).toEqual([]);
    });

    it('has no unused message', () => {
        const unused = messageKeys.filter((key) => !scan.stringLiterals.has(key));
        expect(unused).toEqual([]);
    });
});

describe('vss-extension.json', () => {
    const taskContribution = extension.contributions.find((contribution) => contribution.type === 'ms.vss-distributed-task.task');
    const endpointContribution = extension.contributions.find((contribution) => contribution.type === 'ms.vss-endpoint.service-endpoint-type');
    const descriptors = endpointContribution?.properties.authenticationSchemes?.[0]?.inputDescriptors ?? [];
    const descriptor = (id: string) => descriptors.find((candidate) => candidate.id === id);

    it('takes its version from task.json', () => {
        // scripts/package.js passes the task version to tfx, so a version written here must be the same.
        const taskVersion = `${task.version.Major}.${task.version.Minor}.${task.version.Patch}`;
        if (extension.version !== undefined) {
            expect(extension.version).toBe(taskVersion);
        }
    });

    it('describes an Azure Pipelines extension', () => {
        expect(extension.manifestVersion).toBe(1);
        expect(extension.categories).toEqual(['Azure Pipelines']);
        expect(extension.targets).toEqual([{ id: 'Microsoft.VisualStudio.Services' }]);
        // tfx rejects a description of 200 characters or more.
        expect(extension.description.length).toBeLessThan(200);
    });

    it('refers to files that exist', () => {
        for (const relativePath of [extension.icons.default, extension.content.details.path, extension.content.license.path]) {
            expect({ file: relativePath, exists: fs.existsSync(path.join(root, relativePath)) }).toEqual({ file: relativePath, exists: true });
        }
    });

    it('uses a 128x128 PNG icon', () => {
        const icon = fs.readFileSync(path.join(root, extension.icons.default));

        expect(icon.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
        expect(icon.subarray(12, 16).toString('ascii')).toBe('IHDR');
        expect(icon.readUInt32BE(16)).toBe(128);
        expect(icon.readUInt32BE(20)).toBe(128);
    });

    it('contributes the built task folder', () => {
        expect(taskContribution?.targets).toEqual(['ms.vss-distributed-task.tasks']);
        expect(taskContribution?.properties.name).toBe('dist/ECRPushImage');
        // tfx validates the task at the contribution's path on disk, so the folder is packaged under its own path.
        expect(extension.files).toContainEqual({ path: 'dist/ECRPushImage' });
    });

    it('contributes the task\'s connection type', () => {
        const connectionInput = task.inputs.find((input) => input.type.startsWith('connectedService:'));

        expect(endpointContribution?.targets).toEqual(['ms.vss-endpoint.endpoint-types']);
        expect(endpointContribution?.properties.name).toBe('AWS');
        expect(connectionInput?.type).toBe(`connectedService:${endpointContribution?.properties.name}`);
    });

    it('declares every credential parameter', () => {
        const schemes = endpointContribution?.properties.authenticationSchemes ?? [];

        expect(schemes.map((scheme) => scheme.type)).toEqual(['ms.vss-endpoint.endpoint-auth-scheme-basic']);
        expect(descriptors.map((candidate) => candidate.id)).toEqual([
            'username',
            'password',
            'sessionToken',
            'assumeRoleArn',
            'roleSessionName',
            'externalId',
            'useOIDC',
        ]);
    });

    it('marks only secrets confidential', () => {
        const confidential = descriptors.filter((candidate) => candidate.isConfidential === true).map((candidate) => candidate.id);

        expect(confidential).toEqual(['password', 'sessionToken']);
        expect(descriptor('password')?.inputMode).toBe('passwordbox');
        expect(descriptor('sessionToken')?.inputMode).toBe('passwordbox');
    });

    it('makes every parameter optional', () => {
        // Keys, a role alone, and a role with OpenID Connect are all valid connections.
        for (const candidate of descriptors) {
            expect({ id: candidate.id, isRequired: candidate.validation?.isRequired }).toEqual({ id: candidate.id, isRequired: false });
        }
    });

    it('offers useOIDC as unchecked checkbox', () => {
        expect(descriptor('useOIDC')?.inputMode).toBe('checkbox');
        expect(descriptor('useOIDC')?.validation?.dataType).toBe('boolean');
        expect(descriptor('useOIDC')?.values?.defaultValue).toBe('false');
    });

    it('labels and explains every parameter', () => {
        for (const candidate of descriptors) {
            expect({ id: candidate.id, hasName: candidate.name.length > 0, hasDescription: candidate.description.length > 0 }).toEqual({
                id: candidate.id,
                hasName: true,
                hasDescription: true,
            });
        }
    });
});
