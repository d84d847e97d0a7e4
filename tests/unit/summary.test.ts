import { formatSize, renderSummary, type SummaryContent } from '../../src/summary';
import { tableCells as cells } from '../support/observations';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

function tableRows(markdown: string): string[] {
    return markdown.split('\n').filter((line) => line.startsWith('|'));
}

function content(overrides: Partial<SummaryContent> = {}): SummaryContent {
    return {
        repositoryName: 'team/app',
        registryHost: HOST,
        repositoryCreated: false,
        rows: [
            { reference: `${HOST}/team/app:1.2.3`, digest: DIGEST, sizeBytes: 5 * 1024 * 1024, action: 'pushed' },
            { reference: `${HOST}/team/app:latest`, digest: DIGEST, sizeBytes: 5 * 1024 * 1024, action: 'already present' },
        ],
        ...overrides,
    };
}

describe('formatSize', () => {
    it.each([
        [undefined, 'unknown'],
        [0, '0 B'],
        [1, '1 B'],
        [1023, '1023 B'],
        [1024, '1.0 KiB'],
        [1536, '1.5 KiB'],
        [1024 * 1024 - 1, '1.0 MiB'],
        [1024 * 1024 - 60, '1023.9 KiB'],
        [123_456_789, '117.7 MiB'],
        [5 * 1024 ** 3, '5.0 GiB'],
        [2 * 1024 ** 4, '2.0 TiB'],
        [1024 ** 5, '1024.0 TiB'],
    ])('formats %s bytes as %s', (bytes, expected) => {
        expect(formatSize(bytes)).toBe(expected);
    });
});

describe('renderSummary', () => {
    it('writes one row per image reference', () => {
        const [header, separator, ...rows] = tableRows(renderSummary(content()));

        expect(cells(header)).toEqual(['Image URI', 'Digest', 'Size', 'Result']);
        expect(cells(separator)).toEqual(['---', '---', '---', '---']);
        expect(rows.map(cells)).toEqual([
            [`\`${HOST}/team/app:1.2.3\``, `\`${DIGEST}\``, '5.0 MiB', 'pushed'],
            [`\`${HOST}/team/app:latest\``, `\`${DIGEST}\``, '5.0 MiB', 'already present'],
        ]);
    });

    it('names the repository and registry', () => {
        const markdown = renderSummary(content());

        expect(markdown).toContain(`Repository \`team/app\` in registry \`${HOST}\`.`);
        expect(markdown).not.toContain('created by this run');
    });

    it('says when the run created the repository', () => {
        expect(renderSummary(content({ repositoryCreated: true }))).toContain(`in registry \`${HOST}\` (created by this run).`);
    });

    it('marks a missing digest and size', () => {
        const markdown = renderSummary(content({ rows: [{ reference: `${HOST}/team/app:v1`, digest: undefined, sizeBytes: undefined, action: 'pushed' }] }));
        const [, , row] = tableRows(markdown);

        expect(cells(row)).toEqual([`\`${HOST}/team/app:v1\``, 'unknown', 'unknown', 'pushed']);
    });

    it.each([
        ['a pipe', 'pushed | retried', 'pushed \\| retried'],
        ['a backtick', 'tagged `prod`', "tagged 'prod'"],
    ])('escapes %s in a cell', (_case, action, expected) => {
        const markdown = renderSummary(content({ rows: [{ reference: `${HOST}/team/app:v1`, digest: DIGEST, sizeBytes: 1, action }] }));
        const [, , row] = tableRows(markdown);

        expect(cells(row)).toHaveLength(4);
        expect(cells(row)[3]).toBe(expected);
    });

    it('keeps backticks out of code spans', () => {
        const markdown = renderSummary(content({ repositoryName: 'odd`name', registryHost: 'host|1' }));

        expect(markdown).toContain("Repository `odd'name` in registry `host\\|1`.");
    });

    it('ends with a line break', () => {
        expect(renderSummary(content())).toMatch(/\|\n$/);
    });

    it('writes a table with no rows', () => {
        expect(tableRows(renderSummary(content({ rows: [] })))).toHaveLength(2);
    });
});
