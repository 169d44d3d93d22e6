/**
 * "I'm not the right person" and notes between the parties (issue 11): two Updates a running case
 * answers alongside its stages.
 *
 * - `handOver`: someone asked to decide the current stage hands it to a colleague from the directory
 *   of the same agency, or to the stage's fallback role. The stage's people change at once (the old
 *   link is refused from that moment), the deadline does not, the record says who, to whom and why,
 *   and the new people are invited with links of their own, saying who passed it on.
 * - `addNote`: the API has kept the note's text in PostgreSQL; the workflow places a `noteAdded`
 *   event (with the text's digest) on the record, in its order, and tells the other people taking
 *   part that a note was added (never what it says).
 *
 * Both are new behaviour behind patched() markers, so cases that never received them replay as
 * they ran.
 */
import { ApplicationFailure, patched, setHandler } from '@temporalio/workflow';
import { addNote, handOver, handOverChoices, type HandedOver, type HandOverRequest, type NoteAdded } from '../shared/contract';
import type { Party, Recipient, StageSummary } from '../shared/events';
import { handOverOptions, type HandOverOptions } from '../shared/handover';
import { computeDeadline } from './activityProxies';
import { except, onceEach, type CaseContext } from './case';
import { deliver, parties, party } from './notices';
import { handOverRefusal, handOverTargets, noteRefusal, type Refused } from './rules';

export const HAND_OVER = 'hand-over';
export const CASE_NOTES = 'case-notes';

/** Who the person may hand the current stage to, from the case's own directory; undefined when they are not asked at it. */
export function handOverOptionsFor(c: CaseContext, recipientId: string): HandOverOptions | undefined {
  const current = c.current;
  const person = current?.run.participants.find((p) => p.id === recipientId);
  if (!current || !person) return undefined;
  const policyStage = c.policy.stages[current.run.index];
  return handOverOptions({
    directory: c.policy.directory,
    counterparts: c.policy.counterparts,
    // A panel is no stage of the policy's own: it has colleagues but no fallback role.
    stageRefs: policyStage && policyStage.id === current.run.id ? policyStage.participants : undefined,
    practitionerRoles: { raiser: c.input.raiser.role, other: c.input.other.role },
    person,
    participants: current.run.participants,
    never: [c.input.raiser.email, c.input.other.email],
  });
}

/** The case's people a note's author may be: the practitioners, anyone asked or told so far. */
function takingPart(c: CaseContext): Recipient[] {
  return onceEach([...c.informed(), ...(c.current?.run.participants ?? [])]);
}

export function answerHandOversAndNotes(c: CaseContext): void {
  // A query: no commands, so older histories replay unchanged.
  setHandler(handOverChoices, (recipientId) => (c.status === 'open' && !c.ending && !c.current?.decision ? (handOverOptionsFor(c, String(recipientId)) ?? null) : null));
  setHandler(handOver, (request) => handTheStageOver(c, request), {
    validator: (request) =>
      refuse(
        handOverRefusal(
          {
            status: c.ending ? 'closed' : c.status,
            stage: c.current && { number: c.current.run.number, participants: c.current.run.participants, decided: c.current.decision !== undefined },
            options: handOverOptionsFor(c, request.recipientId),
          },
          request,
        ),
      ),
  });

  setHandler(
    addNote,
    async (request): Promise<NoteAdded> => {
      patched(CASE_NOTES);
      const email = request.author.email.trim().toLowerCase();
      const author = request.author.kind === 'participant' ? takingPart(c).find((p) => p.email.toLowerCase() === email) : undefined;
      const by: Party = author ? party(author) : { id: 'partnershipAdmin', role: 'partnershipAdmin' };
      // Everyone kept informed of the case hears a note was added, once each; never its author.
      const told = except(takingPart(c), [{ id: by.id, role: by.role, name: '', email }]);
      const stage = stageNow(c);
      const at = c.now();
      await c.record({ type: 'noteAdded', stage: c.current?.view.number, actor: by.id, detail: { noteId: request.noteId, digest: request.digest, by, told: parties(told) } });
      const agency = author?.agencyId ? (c.policy.directory.agencies.find((a) => a.id === author.agencyId)?.name ?? author.agencyId) : undefined;
      await deliver(c, 'noteAdded', told, stage, { noteBy: { role: by.role, ...(agency ? { agency } : {}) } }, `note-${request.noteId}`);
      return { noteId: request.noteId, at, told: told.map((p) => p.id) };
    },
    {
      validator: (request) => {
        const email = typeof request.author?.email === 'string' ? request.author.email.trim().toLowerCase() : '';
        refuse(noteRefusal({ status: c.ending ? 'closed' : c.status, authorTakesPart: email !== '' && takingPart(c).some((p) => p.email.toLowerCase() === email) }, request));
      },
    },
  );
}

/** The hand-over itself: the stage's people change before anything is awaited, so the old link cannot decide in the meantime. */
async function handTheStageOver(c: CaseContext, request: HandOverRequest): Promise<HandedOver> {
  patched(HAND_OVER);
  const { run, view } = c.current!;
  const from = run.participants.find((p) => p.id === request.recipientId)!;
  const targets = handOverTargets(handOverOptionsFor(c, from.id), request);
  if ('refused' in targets) throw ApplicationFailure.create({ ...targets.refused, nonRetryable: true });
  const n = (c.soFar.handOvers ?? 0) + 1;
  c.soFar.handOvers = n;
  // Ids of their own (`.h<n>`), so a link, a reminder or an invitation never mixes them up with anyone asked before.
  const to: Recipient[] = targets.people.map((p) => ({ ...p, id: `${p.id}.h${n}` }));
  run.participants = [...run.participants.filter((p) => p.id !== from.id), ...to];
  view.participants = run.participants.map((p) => ({ id: p.id, name: p.name, role: p.role }));
  c.involve(to);
  const kind = request.to.kind;
  await c.record({
    type: 'handedOver',
    stage: run.number,
    actor: from.id,
    detail: { from: party(from), to: parties(to), kind, reason: request.reason.trim(), deadline: view.deadline },
  });
  const linkExpiresAt = await computeDeadline({ from: view.deadline, timescale: c.policy.linkGrace, calendar: c.policy.calendar });
  const agency = from.agencyId ? (c.policy.directory.agencies.find((a) => a.id === from.agencyId)?.name ?? from.agencyId) : undefined;
  const delivered = await deliver(
    c,
    'stageInvitation',
    to,
    c.summary(run, view.deadline),
    { linkExpiresAt, handedOverBy: { name: from.name, role: from.role, ...(agency ? { agency } : {}), to: kind } },
    `handover-${n}`,
  );
  await c.record({ type: 'notified', stage: run.number, detail: { kind: 'stageInvitation', participants: parties(to), delivered } });
  return {
    stage: run.number,
    from: { id: from.id, name: from.name, role: from.role },
    to: to.map((p) => ({ id: p.id, name: p.name, role: p.role })),
    deadline: view.deadline,
  };
}

function stageNow(c: CaseContext): StageSummary {
  if (c.current) return c.summary(c.current.run, c.current.view.deadline);
  const index = c.soFar.stageIndex;
  return { number: index + 1, name: c.policy.stages[index]?.name ?? '', deadline: c.now(), isFinal: false };
}

function refuse(refused: Refused | undefined): void {
  if (refused) throw ApplicationFailure.create({ type: refused.type, message: refused.message, nonRetryable: true });
}
