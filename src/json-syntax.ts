/**
 * Turns a JSON.parse error into "line L, column C: reason" on one line.
 * V8 names the offset in most messages ("at position 27"), but not in
 * "Unexpected token …" or "Unexpected end of JSON input", so the offset is
 * then found by scanning the text.
 */
export function describeJsonError(text: string, error: Error): string {
    // Node 22 and later append "(line L column C)", which the prefix repeats.
    const reason = error.message
        .replace(/\s*\(line \d+ column \d+\)\s*$/, '')
        .replace(/\s+/g, ' ')
        .trim();
    const position = /at position (\d+)/.exec(error.message);
    const offset = position ? Number(position[1]) : findJsonErrorOffset(text);
    if (offset === undefined) {
        return reason;
    }

    const before = text.slice(0, offset).split('\n');
    return `line ${before.length}, column ${before[before.length - 1].length + 1}: ${reason}`;
}

/** Thrown inside the scanner to stop at the first character that breaks the grammar. */
class SyntaxStop {
    constructor(readonly offset: number) {}
}

const JSON_WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const SIMPLE_ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX_DIGIT = /^[0-9a-fA-F]$/;
const LITERALS = new Map([
    ['t', 'true'],
    ['f', 'false'],
    ['n', 'null'],
]);

/**
 * Returns the offset of the first character at which `text` stops being valid
 * JSON (RFC 8259). Returns `text.length` when the text ends too early, and
 * undefined when it is valid or nested too deeply to scan.
 */
export function findJsonErrorOffset(text: string): number | undefined {
    let index = 0;

    const stop = (): never => {
        throw new SyntaxStop(index);
    };
    const skipWhitespace = (): void => {
        while (index < text.length && JSON_WHITESPACE.has(text[index])) {
            index++;
        }
    };
    const consume = (expected: string): void => {
        if (text[index] !== expected) {
            stop();
        }
        index++;
    };

    const scanString = (): void => {
        consume('"');
        while (text[index] !== '"') {
            if (index >= text.length || text.charCodeAt(index) < 0x20) {
                stop();
            }
            if (text[index] !== '\\') {
                index++;
                continue;
            }
            index++;
            if (text[index] === 'u') {
                index++;
                for (let digit = 0; digit < 4; digit++) {
                    if (!HEX_DIGIT.test(text[index] ?? '')) {
                        stop();
                    }
                    index++;
                }
            } else if (index < text.length && SIMPLE_ESCAPES.has(text[index])) {
                index++;
            } else {
                stop();
            }
        }
        index++;
    };

    const scanNumber = (): void => {
        NUMBER.lastIndex = index;
        const match = NUMBER.exec(text);
        if (!match) {
            // As V8 does, a lone minus sign is reported at the character after it.
            if (text[index] === '-') {
                index++;
            }
            stop();
        }
        index += match![0].length;
    };

    const scanSequence = (close: string, scanMember: () => void): void => {
        index++;
        skipWhitespace();
        if (text[index] === close) {
            index++;
            return;
        }
        for (;;) {
            scanMember();
            skipWhitespace();
            if (text[index] !== ',') {
                consume(close);
                return;
            }
            index++;
        }
    };

    const scanValue = (): void => {
        skipWhitespace();
        const first = text[index];
        const literal = LITERALS.get(first);
        if (first === '{') {
            scanSequence('}', () => {
                skipWhitespace();
                scanString();
                skipWhitespace();
                consume(':');
                scanValue();
            });
        } else if (first === '[') {
            scanSequence(']', scanValue);
        } else if (first === '"') {
            scanString();
        } else if (literal !== undefined) {
            for (const character of literal) {
                consume(character);
            }
        } else {
            scanNumber();
        }
    };

    try {
        scanValue();
        skipWhitespace();
        if (index < text.length) {
            stop();
        }
        return undefined;
    } catch (error) {
        if (error instanceof SyntaxStop) {
            return error.offset;
        }
        // Very deep nesting overflows the call stack, so the error is then reported without a position.
        if (error instanceof RangeError) {
            return undefined;
        }
        throw error;
    }
}
