/** A flag that a task queued now sets when it runs: whether the event loop turned since. */
export function queuedTask(): { ran: boolean } {
  const flag = { ran: false };
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    flag.ran = true;
  };
  channel.port2.postMessage(null);
  return flag;
}
