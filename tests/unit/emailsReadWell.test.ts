/**
 * Issue 11: "Emails name the other side, say why the person is getting this, carry a short
 * 'Record the outcome' button link and a link to the case, and read well on a phone." Every kind
 * of notification, rendered as the activity renders it (a real signed decision link where the kind
 * carries one). How they lay out at 320 px is checked in Chromium (tests/browser/emailsOnPhone.test.ts).
 */
import { otherSideSentence, whySentence } from '../../mail/emailWords';
import { roleLabel } from '../../mail/render';
import type { NotificationKind } from '../../shared/events';
import { SAMPLES, SAMPLE_CASE_URL, SAMPLE_SIDES, renderSamples, type RenderedSample } from '../support/emailSamples';

const anchors = (html: string) => [...html.matchAll(/<a\s+href="([^"]*)"[^>]*>([^<]*)<\/a>/g)].map(([, href, text]) => ({ href: href.replace(/&amp;/g, '&'), text }));
const paragraphs = (text: string) => text.trim().split(/\n{2,}/);

describe('every kind of email reads well (issue 11)', () => {
  let samples: RenderedSample[];
  beforeAll(async () => {
    samples = await renderSamples();
  });

  it('covers every kind of notification', () => {
    expect(samples.map((s) => s.kind).sort()).toEqual((Object.keys(SAMPLES) as NotificationKind[]).sort());
  });

  it('says in one sentence, near the top, why this person is getting it (both parts)', () => {
    for (const { kind, email } of samples) {
      const why = paragraphs(email.text)[1];
      expect({ kind, why }).toEqual({ kind, why: expect.stringMatching(/^You are getting this (because|as) [^.]+\.$/) });
      expect({ kind, inHtml: email.html.includes(`>${why}</p>`) }).toEqual({ kind, inHtml: true });
    }
  });

  it('names the other side: the two practitioners, their roles and agencies, in both parts (never in the proforma)', () => {
    for (const { kind, email, notification } of samples) {
      // A practitioner is told who the other one is; everyone else is told both.
      const sides = notification.recipient.id === 'raiser.worker.0' ? [SAMPLE_SIDES.other] : notification.recipient.id === 'other.worker.0' ? [SAMPLE_SIDES.raiser] : [SAMPLE_SIDES.raiser, SAMPLE_SIDES.other];
      for (const part of [email.text, email.html]) {
        const named = sides.map((s) => part.includes(`${s.name} (${s.role}, ${s.agency})`));
        expect({ kind, named }).toEqual({ kind, named: sides.map(() => kind !== 'proforma') });
      }
    }
  });

  it('asks for the outcome with a green "Record the outcome" button whose words are never the token', () => {
    for (const { kind, email, link } of samples) {
      const links = anchors(email.html);
      const buttons = links.filter((a) => a.text === 'Record the outcome');
      if (link) {
        expect({ kind, buttons: buttons.map((b) => b.href) }).toEqual({ kind, buttons: [link] });
        expect(email.html).toMatch(/<a href="[^"]+" style="display: inline-block; background-color: #00703c; color: #ffffff;[^"]*">Record the outcome<\/a>/);
        // The plain-text part carries the address (there is no shorter form), on a line of its own.
        expect(email.text.split('\n')).toContain(link);
      } else {
        expect({ kind, buttons }).toEqual({ kind, buttons: [] });
        expect(email.text + email.html).not.toContain('/respond/');
      }
    }
  });

  it('links the case as "Open the case" in every email that names one', () => {
    for (const { kind, email } of samples) {
      const toCase = anchors(email.html).filter((a) => a.href === SAMPLE_CASE_URL);
      expect({ kind, toCase: toCase.map((a) => a.text) }).toEqual({ kind, toCase: kind === 'proforma' ? [] : ['Open the case'] });
      if (kind !== 'proforma') expect(email.text).toContain(`Open the case: ${SAMPLE_CASE_URL}`);
    }
  });

  it('shows no address or token as the words of a link, and no word longer than a phone line', () => {
    for (const { kind, email } of samples) {
      for (const a of anchors(email.html)) expect({ kind, text: a.text }).toEqual({ kind, text: expect.not.stringMatching(/https?:|eyJ|\/\w+\//) });
      // What a person reads in the HTML part: no run of characters that could not wrap at 320 px.
      const readable = email.html.replace(/<head>[\s\S]*<\/head>/, '').replace(/<[^>]+>/g, ' ');
      expect({ kind, tooLong: readable.split(/\s+/).filter((w) => w.length > 24) }).toEqual({ kind, tooLong: [] });
    }
  });

  it('is one column of inline styles: no tables, no style sheet, a width limit, a viewport for phones', () => {
    for (const { kind, email } of samples) {
      const html = email.html;
      expect({ kind, table: /<table|<style/i.test(html) }).toEqual({ kind, table: false });
      expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(html).toContain('max-width: 640px');
      expect(html).toMatch(/<html lang="en">/);
    }
  });

  it('keeps the plain-text part plain and complete', () => {
    for (const { kind, email } of samples) {
      expect({ kind, tags: /<[a-z][^>]*>/i.test(email.text) }).toEqual({ kind, tags: false });
      expect(email.text.endsWith('Bromley Safeguarding Children Partnership\n')).toBe(true);
      expect(email.text).toContain('This email deliberately carries no details of the child.');
    }
  });
});

describe('the sentences', () => {
  const n = (id: string, role: string) => ({ kind: 'stageInvitation' as const, recipient: { id, role, name: 'X', email: 'x@example.org' }, stage: { number: 2, name: 'S', deadline: '', isFinal: false } });

  it('names the other side from where the recipient stands', () => {
    expect(otherSideSentence(n('raiser.worker.0', 'worker'), SAMPLE_SIDES)).toBe(
      "You raised this disagreement with Bob Social-Worker (social worker, Bromley Children's Social Care), the other side.",
    );
    expect(otherSideSentence(n('other.worker.0', 'worker'), SAMPLE_SIDES)).toBe(
      'Ann Teacher (designated safeguarding lead, Hillside Primary School) raised this disagreement with you: they are the other side.',
    );
    expect(otherSideSentence(n('other.lineManager.0', 'lineManager'), SAMPLE_SIDES)).toBe(
      "You act for the side of Bob Social-Worker (social worker, Bromley Children's Social Care). The other side, who raised it, is Ann Teacher (designated safeguarding lead, Hillside Primary School).",
    );
    expect(otherSideSentence(n('partnership.chair.0', 'chair'), SAMPLE_SIDES)).toBe(
      "The disagreement is between Ann Teacher (designated safeguarding lead, Hillside Primary School), who raised it, and Bob Social-Worker (social worker, Bromley Children's Social Care).",
    );
    expect(otherSideSentence(n('partnership.chair.0', 'chair'), undefined)).toBeUndefined();
    expect(otherSideSentence({ ...n('partnership.mailbox.0', 'mailbox'), kind: 'proforma' }, SAMPLE_SIDES)).toBeUndefined();
  });

  it('says why, with a sentence for kinds added later too', () => {
    expect(whySentence(n('raiser.lineManager.0', 'lineManager'), roleLabel)).toBe(
      'You are getting this because the policy asks the line manager to take part in stage 2, and the directory names you.',
    );
    const later = { ...n('other.worker.0', 'worker'), kind: 'somethingNew' as unknown as NotificationKind };
    expect(whySentence(later, roleLabel)).toBe('You are getting this as one of the two practitioners in the disagreement.');
  });
});
