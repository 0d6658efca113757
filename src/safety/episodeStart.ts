import type { SafetyGate } from './SafetyGate.js';

/**
 * What an episode start means to the safety gate, as the episode runner's onEpisodeStart hook.
 *
 * On a simulator every episode resets the world, so the gate forgets the last command and re-arms
 * through a soft start (SafetyGate.resetEpisode). On a robot in episodes mode the episodes are time
 * windows with training between them, so motion resumes through a soft start too. On a robot in
 * continuous mode the windows only segment the data: control never paused, so only the first one
 * resets the gate; re-arming at every window would soft-start a walking robot every few seconds.
 */
export function gateEpisodeStart(
  gate: Pick<SafetyGate, 'resetEpisode'>,
  run: { readonly simulated: boolean; readonly continuous: boolean },
): () => void {
  const everyEpisode = run.simulated || !run.continuous;
  let started = false;
  return () => {
    if (everyEpisode || !started) gate.resetEpisode();
    started = true;
  };
}
