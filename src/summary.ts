/** One row of the job summary: an image reference the task pushed or tagged. */
export interface SummaryRow {
    readonly reference: string;
    readonly digest: string | undefined;
    readonly sizeBytes: number | undefined;
    /** Outcome for this tag: pushed, already present, or tagged through the ECR API. */
    readonly action: string;
}

export interface SummaryContent {
    readonly repositoryName: string;
    readonly registryHost: string;
    readonly repositoryCreated: boolean;
    readonly rows: readonly SummaryRow[];
    /** Sentence that names which size the Size column shows. */
    readonly sizeNote?: string;
}

/** Renders the markdown job summary shown on the run's Extensions tab. */
export function renderSummary(content: SummaryContent): string {
    const lines = [
        '### Amazon ECR push',
        '',
        `Repository \`${escapeCell(content.repositoryName)}\` in registry \`${escapeCell(content.registryHost)}\`` +
            (content.repositoryCreated ? ' (created by this run).' : '.'),
        '',
        '| Image URI | Digest | Size | Result |',
        '| --- | --- | --- | --- |',
    ];
    for (const row of content.rows) {
        lines.push(
            `| \`${escapeCell(row.reference)}\` | ${row.digest ? `\`${row.digest}\`` : 'unknown'} | ` +
                `${formatSize(row.sizeBytes)} | ${escapeCell(row.action)} |`,
        );
    }
    if (content.sizeNote) {
        lines.push('', content.sizeNote);
    }
    return `${lines.join('\n')}\n`;
}

/** Formats a byte count for people, in binary units with one decimal. */
export function formatSize(bytes: number | undefined): string {
    if (bytes === undefined) {
        return 'unknown';
    }
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes;
    let unit = 0;
    // Compare the value as it will be printed, so that 1048575 bytes read 1.0 MiB rather than 1024.0 KiB.
    while (Math.round(value * 10) / 10 >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function escapeCell(text: string): string {
    return text.replace(/\|/g, '\\|').replace(/`/g, "'");
}
