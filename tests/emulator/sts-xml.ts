import type { AwsError } from './aws-error';

/** An XML element: a name and either text or child elements. Undefined children are left out. */
export type XmlContent = string | number | readonly (string | undefined)[];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Renders one element; text is escaped, child elements (already rendered) are joined. */
export function element(name: string, content: XmlContent): string {
  const inner = Array.isArray(content) ? content.filter((child) => child !== undefined).join('') : escapeXml(String(content));
  return `<${name}>${inner}</${name}>`;
}

/** Renders an element only when its value is defined. */
export function optionalElement(name: string, content: XmlContent | undefined): string | undefined {
  return content === undefined ? undefined : element(name, content);
}

const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** Wraps an action's result the way the query protocol does: <ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…. */
export function stsResponse(action: string, result: readonly (string | undefined)[], requestId: string): string {
  return (
    `<${action}Response xmlns="${STS_NAMESPACE}">` +
    element(`${action}Result`, result) +
    element('ResponseMetadata', [element('RequestId', requestId)]) +
    `</${action}Response>`
  );
}

/** Renders an error the way the query protocol does: <ErrorResponse><Error><Type><Code><Message>…. */
export function stsErrorResponse(error: AwsError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${STS_NAMESPACE}">` +
    element('Error', [
      element('Type', error.senderFault ? 'Sender' : 'Receiver'),
      element('Code', error.code),
      element('Message', error.message),
    ]) +
    element('RequestId', requestId) +
    '</ErrorResponse>'
  );
}
