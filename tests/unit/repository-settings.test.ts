import { TaskError } from '../../src/errors';
import { describeJsonError, findJsonErrorOffset } from '../../src/json-syntax';
import { parseRepositorySettings, parseResourceTags, type RepositorySettings } from '../../src/repository-settings';
import { loadTaskMessages } from './task-messages';

beforeAll(loadTaskMessages);

const RULE = '{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}}';
const LIFECYCLE_POLICY = `{"rules":[${RULE}]}`;
const RULE_SHAPE = 'needs an integer "rulePriority", a "selection" object and an "action" object';
const REPOSITORY_POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}]}';

function parse(values: Record<string, string>, files: Record<string, string> = {}): RepositorySettings {
    return parseRepositorySettings(
        (name) => values[name],
        (file) => {
            if (!(file in files)) {
                throw new Error(`ENOENT: no such file or directory, open '${file}'`);
            }
            return files[file];
        },
    );
}

/** Returns the message of the TaskError that parsing throws. */
function rejection(values: Record<string, string>, files: Record<string, string> = {}): string {
    try {
        parse(values, files);
    } catch (error) {
        expect(error).toBeInstanceOf(TaskError);
        return (error as Error).message;
    }
    throw new Error('expected parseRepositorySettings to throw');
}

/** The message JSON.parse gives for a text, in the wording of the Node version running the tests. */
function jsonParseError(text: string): Error {
    try {
        JSON.parse(text);
    } catch (error) {
        return error as Error;
    }
    throw new Error(`expected ${JSON.stringify(text)} to be invalid JSON`);
}

describe('parseResourceTags', () => {
    it.each([
        ['', []],
        ['\n\n', []],
        ['team=platform', [{ Key: 'team', Value: 'platform' }]],
        [' team = platform \r\n\r\ncost-center=42\n', [{ Key: 'team', Value: 'platform' }, { Key: 'cost-center', Value: '42' }]],
        ['empty=', [{ Key: 'empty', Value: '' }]],
        ['url=https://example.com/?a=b', [{ Key: 'url', Value: 'https://example.com/?a=b' }]],
        [`${'k'.repeat(128)}=${'v'.repeat(256)}`, [{ Key: 'k'.repeat(128), Value: 'v'.repeat(256) }]],
    ])('reads %j', (value, expected) => {
        expect(parseResourceTags(value)).toEqual(expected);
    });

    it.each([
        ['team', "the line 'team'"],
        ['=platform', "the line '=platform'"],
        [' = x', "the line '= x'"],
        [`${'k'.repeat(129)}=v`, `the line '${'k'.repeat(129)}=v'`],
        [`k=${'v'.repeat(257)}`, `the line 'k=${'v'.repeat(257)}'`],
    ])('rejects %j', (value, expected) => {
        expect(() => parseResourceTags(value)).toThrow(expected);
    });

    it('rejects a repeated key', () => {
        expect(() => parseResourceTags('team=a\nteam=b')).toThrow("sets the key 'team' more than once");
    });
});

describe('parseRepositorySettings', () => {
    it('applies the defaults of CreateRepository', () => {
        expect(parse({})).toEqual({
            imageTagMutability: 'MUTABLE',
            scanOnPush: false,
            encryption: { type: 'AES256' },
            tags: [],
            lifecyclePolicy: undefined,
            repositoryPolicy: undefined,
        });
    });

    it('reads options in any case', () => {
        const settings = parse({ imageTagMutability: 'immutable', scanOnPush: 'True', encryptionType: ' kms ', kmsKey: 'alias/ecr' });

        expect(settings.imageTagMutability).toBe('IMMUTABLE');
        expect(settings.scanOnPush).toBe(true);
        expect(settings.encryption).toEqual({ type: 'KMS', kmsKey: 'alias/ecr' });
    });

    it('leaves the KMS key to AWS when none is given', () => {
        expect(parse({ encryptionType: 'KMS' }).encryption).toEqual({ type: 'KMS', kmsKey: undefined });
    });

    it.each([
        [{ imageTagMutability: 'sometimes' }, "Input imageTagMutability is 'sometimes', which is not a valid option. Use one of: MUTABLE, IMMUTABLE."],
        [{ encryptionType: 'KMS_DSSE' }, "Input encryptionType is 'KMS_DSSE', which is not a valid option. Use one of: AES256, KMS."],
        [{ kmsKey: 'alias/ecr' }, "Input kmsKey is 'alias/ecr', but encryptionType is not KMS."],
        [{ encryptionType: 'AES256', kmsKey: 'alias/ecr' }, "Input kmsKey is 'alias/ecr', but encryptionType is not KMS."],
    ])('rejects %j', (values, expected) => {
        expect(rejection(values)).toContain(expected);
    });

    it('keeps the policy texts as written', () => {
        const lifecycle = `${JSON.stringify(JSON.parse(LIFECYCLE_POLICY), null, 4)}\n`;
        const settings = parse(
            { lifecyclePolicyFile: 'ecr/lifecycle.json', repositoryPolicyFile: 'ecr/policy.json' },
            { 'ecr/lifecycle.json': lifecycle, 'ecr/policy.json': REPOSITORY_POLICY },
        );

        expect(settings.lifecyclePolicy).toEqual({ file: 'ecr/lifecycle.json', text: lifecycle });
        expect(settings.repositoryPolicy).toEqual({ file: 'ecr/policy.json', text: REPOSITORY_POLICY });
    });

    it('drops a byte order mark', () => {
        const settings = parse({ lifecyclePolicyFile: 'lifecycle.json' }, { 'lifecycle.json': `\uFEFF${LIFECYCLE_POLICY}` });

        expect(settings.lifecyclePolicy?.text).toBe(LIFECYCLE_POLICY);
    });

    it('names an unreadable file', () => {
        expect(rejection({ repositoryPolicyFile: 'missing.json' })).toBe(
            "Input repositoryPolicyFile names the file 'missing.json', which can't be read: ENOENT: no such file or directory, open 'missing.json'",
        );
    });

    it.each([
        ['a missing value', '{\n  "rules": [\n    { "rulePriority": ,\n', 'line 3, column 23'],
        ['a trailing comma', '{\n  "rules": [\n    { "rulePriority": 1, }\n  ]\n}\n', 'line 3, column 26'],
        ['a single-quoted key', "{\n  'rules': []\n}", 'line 2, column 3'],
        ['a cut-off file', '{\n  "rules": [\n', 'line 3, column 1'],
        ['an empty file', '', 'line 1, column 1'],
        ['text after the document', `${LIFECYCLE_POLICY}\n}`, 'line 2, column 1'],
        ['Windows line endings', '{\r\n  "rules": [\r\n    { "rulePriority": ,\r\n', 'line 3, column 23'],
    ])('locates %s in a lifecycle policy', (_case, text, position) => {
        const message = rejection({ lifecyclePolicyFile: 'lifecycle.json' }, { 'lifecycle.json': text });

        expect(message).toContain("Input lifecyclePolicyFile names the file 'lifecycle.json', which is not valid JSON: ");
        expect(message).toContain(`: ${position}: `);
        expect(message).not.toMatch(/[\r\n]/);
    });

    it.each([
        ['no rules', '{}', 'a lifecycle policy needs a non-empty "rules" array'],
        ['an empty rule list', '{"rules":[]}', 'a lifecycle policy needs a non-empty "rules" array'],
        ['a top-level array', '[]', 'a lifecycle policy needs a non-empty "rules" array'],
        ['a rule without priority', '{"rules":[{"selection":{},"action":{}}]}', `rule 1 ${RULE_SHAPE}`],
        ['a fractional priority', '{"rules":[{"rulePriority":1.5,"selection":{},"action":{}}]}', `rule 1 ${RULE_SHAPE}`],
        ['a null selection', '{"rules":[{"rulePriority":1,"selection":null,"action":{}}]}', `rule 1 ${RULE_SHAPE}`],
        ['an array action in rule 2', `{"rules":[${RULE},{"rulePriority":2,"selection":{},"action":[]}]}`, `rule 2 ${RULE_SHAPE}`],
    ])('rejects a lifecycle policy with %s', (_case, text, problem) => {
        const message = rejection({ lifecyclePolicyFile: 'lifecycle.json' }, { 'lifecycle.json': text });

        expect(message).toBe(`Input lifecyclePolicyFile names the file 'lifecycle.json', which is not a valid policy: ${problem}.`);
    });

    it.each([
        ['no statement', '{"Version":"2012-10-17"}'],
        ['an empty statement list', '{"Statement":[]}'],
        ['a null statement', '{"Statement":null}'],
        ['a text statement', '{"Statement":"allow"}'],
    ])('rejects a repository policy with %s', (_case, text) => {
        const message = rejection({ repositoryPolicyFile: 'policy.json' }, { 'policy.json': text });

        expect(message).toBe(`Input repositoryPolicyFile names the file 'policy.json', which is not a valid policy: a repository policy needs a "Statement".`);
    });

    it('accepts a single statement object', () => {
        const text = '{"Statement":{"Effect":"Allow","Principal":"*","Action":"ecr:BatchGetImage"}}';

        expect(parse({ repositoryPolicyFile: 'policy.json' }, { 'policy.json': text }).repositoryPolicy?.text).toBe(text);
    });
});

describe('findJsonErrorOffset', () => {
    it.each([
        ['{}', undefined],
        [' [1, -2.5e3, "a\\u00e9\\n", true, false, null, {"k": {}}] ', undefined],
        ['', 0],
        ['   ', 3],
        ['{', 1],
        ['{"a": }', 6],
        ['{"a": 1,}', 8],
        ['[1,]', 3],
        ['[1 2]', 3],
        ["{'a': 1}", 1],
        ['{"a" 1}', 5],
        ['"tab\there"', 4],
        ['"bad \\x escape"', 6],
        ['"\\u12G4"', 5],
        ['"open', 5],
        ['tru', 3],
        ['nul!', 3],
        ['01', 1],
        ['-', 1],
        ['[-x]', 2],
        ['{"a": 1}}', 8],
        ['{"a": 1} x', 9],
    ])('finds the error in %j at %s', (text, expected) => {
        expect(findJsonErrorOffset(text)).toBe(expected);
    });

    it.each(['{"a": 1,}', '[1 2]', '{"a" 1}', '"tab\there"', '{"a": 1}}', '"\\u12G4"', '"bad \\x escape"', '01', "{'a': 1}", '"open', '-'])(
        'agrees with the position JSON.parse gives for %j',
        (text) => {
            const position = /at position (\d+)/.exec(jsonParseError(text).message);

            expect(position).not.toBeNull();
            expect(findJsonErrorOffset(text)).toBe(Number(position![1]));
        },
    );

    it('gives up on very deep nesting', () => {
        expect(findJsonErrorOffset('['.repeat(200_000))).toBeUndefined();
    });
});

describe('describeJsonError', () => {
    const text = '{\n  "rules": [\n    {"a": 1,}\n  ]\n}';

    it.each([
        ['Node 20', 'Expected double-quoted property name in JSON at position 27'],
        ['Node 22 and later', 'Expected double-quoted property name in JSON at position 27 (line 3 column 13)'],
    ])('reads the position of %s', (_version, message) => {
        expect(describeJsonError(text, new SyntaxError(message))).toBe('line 3, column 13: Expected double-quoted property name in JSON at position 27');
    });

    it('locates an error V8 gives no position for', () => {
        const broken = '{\n  "rules": }';
        const description = describeJsonError(broken, jsonParseError(broken));

        expect(description).toMatch(/^line 2, column 12: Unexpected token/);
        expect(description).not.toContain('\n');
    });

    it('keeps the reason when the text parses', () => {
        expect(describeJsonError('{}', new SyntaxError('Something else'))).toBe('Something else');
    });
});
