/**
 * The blocking API over the protocol, for code without Pekko
 * ({@link io.vchan.bridge.BlockingVchan}).
 *
 * <p>Internal API for users of the connector, as the whole native bridge is: its
 * types may change in any release. The connector's API names none of them.
 */
package io.vchan.bridge;
