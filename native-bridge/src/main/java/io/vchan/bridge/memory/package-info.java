/**
 * The in-JVM platform: a simulated Xen host in pure Java, like ocaml-vchan's
 * {@code In_memory}, for fast tests of the real protocol code with both ends
 * in one JVM. Start at {@link io.vchan.bridge.memory.InMemoryPlatform}.
 *
 * <p>The rules are Xen's, as xensim implements them (see
 * {@code src/main/c/xensim/README.md}), with the same errnos: grants map only
 * for their grantee (EINVAL otherwise), writably only if shared writable
 * (EACCES); event channels bind, rebind after a peer leaves, mask on delivery
 * and coalesce; XenStore has Xen's permissions, transactions and watches.
 * Notifying an unbound port is silently dropped, as EVTCHNOP_send does.
 *
 * <p>Differences, all from living in one JVM: several refs map as one buffer
 * only if they are consecutive pages of one share (else EINVAL); buffers stay
 * readable after unmap or revoke; a process's death is
 * {@link io.vchan.bridge.memory.InMemoryPlatform#crash} of its domain.
 *
 * <p>Internal API for users of the connector, as the whole native bridge is.
 */
package io.vchan.bridge.memory;
