import assert from 'node:assert/strict';
import {
  EpisodeAssembler,
  type Episode,
  type EpisodeEnding,
} from '../../../src/trainer/EpisodeAssembler.js';
import { A, S, cut, linearEpisode } from './transitionFixtures.js';

function collect(): { asm: EpisodeAssembler; got: { e: Episode; ending: EpisodeEnding }[] } {
  const got: { e: Episode; ending: EpisodeEnding }[] = [];
  const asm = new EpisodeAssembler({ onEpisode: (e, ending) => got.push({ e, ending }) });
  return { asm, got };
}

describe('trainer/EpisodeAssembler', () => {
  it('completes an episode at its done flag, across batches, as states (T+1) x S and actions T x A', () => {
    const { asm, got } = collect();
    const ep = linearEpisode({ episode: 0, firstSeq: 0, steps: 10 });
    for (const b of cut(ep, [3, 3, 4])) asm.push(b);
    assert.equal(got.length, 1);
    const { e, ending } = got[0]!;
    assert.equal(ending, 'done');
    assert.equal(e.steps, 10);
    assert.equal(e.source, 'random');
    assert.deepEqual([e.robotId, e.runId, e.episode, e.part], ['robot0', 7, 0, 0]);
    assert.equal(e.trajectory.states.length, 11 * S);
    assert.equal(e.trajectory.actions.length, 10 * A);
    assert.deepEqual(e.trajectory.states.subarray(0, 10 * S), ep.states);
    assert.deepEqual(e.trajectory.states.subarray(10 * S), ep.nextStates.subarray(9 * S));
    assert.deepEqual(e.trajectory.actions, ep.actions);
    assert.equal(e.transitions.firstSeq, 0);
    assert.deepEqual(e.transitions.rewards, ep.rewards);
    assert.equal(asm.openTransitions, 0);
  });

  it('keeps the command column through assembly (stored episodes and open pieces), and splits where a batch lacks it', () => {
    const { asm, got } = collect();
    const ep = linearEpisode({ episode: 0, firstSeq: 0, steps: 10, done: false });
    const commands = Float32Array.from({ length: 30 }, (_, j) => Math.floor(j / 3) + (j % 3) / 10);
    const parts = cut(ep, [3, 3, 4]).map((b, i) => ({
      ...b,
      ...(i < 2 ? { commands: commands.slice(b.firstSeq * 3, (b.firstSeq + b.count) * 3) } : {}),
    }));
    for (const b of parts) asm.push(b);
    // the third batch has no command column: the commanded piece ends there
    assert.equal(got.length, 1);
    assert.equal(got[0]!.ending, 'split');
    assert.deepEqual(got[0]!.e.transitions.commands, commands.subarray(0, 18));
    const open = asm.openPieces();
    assert.equal(open.length, 1);
    assert.equal(open[0]!.commands, undefined);
    assert.equal(open[0]!.count, 4);
  });

  it('completes an episode without a done flag when the next episode of the run starts', () => {
    const { asm, got } = collect();
    asm.push(linearEpisode({ episode: 0, firstSeq: 0, steps: 6, done: false, source: 'mpc' }));
    assert.equal(got.length, 0);
    assert.equal(asm.openTransitions, 6);
    asm.push(linearEpisode({ episode: 1, firstSeq: 6, steps: 5, done: false, source: 'mpc' }));
    assert.equal(got.length, 1);
    assert.equal(got[0]!.ending, 'next_episode');
    assert.equal(got[0]!.e.steps, 6);
    assert.equal(got[0]!.e.source, 'mpc');
    // another run of the same robot (the controller restarted) ends the open one
    asm.push(linearEpisode({ runId: 8, episode: 0, firstSeq: 0, steps: 4 }));
    assert.deepEqual(
      got.map((g) => [g.e.runId, g.e.episode, g.ending]),
      [
        [7, 0, 'next_episode'],
        [7, 1, 'run_ended'],
        [8, 0, 'done'],
      ],
    );
  });

  it("splits an episode where s'_t and s_{t+1} disagree, keeping both pieces", () => {
    const { asm, got } = collect();
    const ep = linearEpisode({ episode: 3, firstSeq: 100, steps: 12 });
    ep.states[5 * S + 2] = (ep.states[5 * S + 2] ?? 0) + 0.5; // s_5 != s'_4
    const [a, b] = cut(ep, [8, 4]);
    // a break inside a batch and one at a batch boundary (s'_7 != s_8)
    b!.states[0] = (b!.states[0] ?? 0) + 1;
    asm.push(a!);
    asm.push(b!);
    assert.deepEqual(
      got.map((g) => [g.e.transitions.firstSeq, g.e.steps, g.e.part, g.ending]),
      [
        [100, 5, 0, 'split'],
        [105, 3, 1, 'split'],
        [108, 4, 2, 'done'],
      ],
    );
    assert.equal(asm.counters.splits, 2);
  });

  it('tolerates float noise within the tolerance', () => {
    const { asm, got } = collect();
    const ep = linearEpisode({ episode: 0, firstSeq: 0, steps: 6 });
    ep.states[3 * S] = (ep.states[3 * S] ?? 0) * (1 + 1e-7);
    asm.push(ep);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.e.steps, 6);
  });

  it('drops and counts fragments shorter than 2 transitions', () => {
    const { asm, got } = collect();
    asm.push(linearEpisode({ episode: 0, firstSeq: 0, steps: 1, done: false }));
    asm.push(linearEpisode({ episode: 1, firstSeq: 1, steps: 1 })); // 1 step with done
    asm.push(linearEpisode({ episode: 2, firstSeq: 2, steps: 5 }));
    assert.equal(got.length, 1);
    assert.equal(got[0]!.e.episode, 2);
    assert.equal(asm.counters.fragmentsDropped, 2);
    assert.equal(asm.counters.fragmentTransitionsDropped, 2);
  });

  it('splits at a sequence gap and drops re-delivered transitions', () => {
    const { asm, got } = collect();
    const ep = linearEpisode({ episode: 0, firstSeq: 0, steps: 12 });
    const [a, b, c] = cut(ep, [4, 4, 4]);
    asm.push(a!);
    asm.push(a!); // re-delivered
    asm.push(c!); // b never arrived
    assert.equal(asm.counters.duplicates, 4);
    assert.deepEqual(
      got.map((g) => [g.e.transitions.firstSeq, g.e.steps, g.ending]),
      [
        [0, 4, 'split'],
        [8, 4, 'done'],
      ],
    );
    asm.push(b!); // late: already past it
    assert.equal(asm.counters.duplicates, 8);
  });

  it('hands out open pieces that a new assembler resumes from, and a seed drops what is stored', () => {
    const first = collect();
    const ep = linearEpisode({ episode: 0, firstSeq: 0, steps: 10 });
    const [a, b] = cut(ep, [6, 4]);
    first.asm.push(a!);
    const open = first.asm.openPieces();
    assert.equal(open.length, 1);
    assert.equal(open[0]!.count, 6);
    const second = collect();
    second.asm.seed('robot0', 7, -1);
    for (const p of open) second.asm.push(p);
    second.asm.push(a!); // re-delivered after the restart
    second.asm.push(b!);
    assert.equal(second.got.length, 1);
    assert.equal(second.got[0]!.e.steps, 10);
    assert.deepEqual(second.got[0]!.e.trajectory.actions, ep.actions);
    const third = collect();
    third.asm.seed('robot0', 7, 9);
    third.asm.push(ep);
    assert.equal(third.got.length, 0);
    assert.equal(third.asm.counters.duplicates, 10);
  });

  it('completes an open episode after its stream has been silent for the idle time', () => {
    let now = 0;
    const got: EpisodeEnding[] = [];
    const asm = new EpisodeAssembler({
      onEpisode: (_e, ending) => got.push(ending),
      nowMs: () => now,
    });
    asm.push(linearEpisode({ episode: 0, firstSeq: 0, steps: 5, done: false }));
    now = 4999;
    assert.equal(asm.closeIdle(5000), 0);
    now = 5000;
    assert.equal(asm.closeIdle(5000), 1);
    assert.deepEqual(got, ['idle']);
    assert.equal(asm.openTransitions, 0);
  });
});
