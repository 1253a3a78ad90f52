/**
 * The vchan protocol over mapped memory, with no Pekko: the shared page and
 * its rings ({@code Ring}, {@link io.vchan.bridge.ring.RingOrders}), a server that
 * publishes ({@link io.vchan.bridge.ring.VchanServer}), a client that connects
 * ({@link io.vchan.bridge.ring.VchanClient}), and the endpoint both make
 * ({@link io.vchan.bridge.ring.RingEndpoint}). Peer values are read once, checked and masked.
 *
 * <p>Internal API for users of the connector, as the whole native bridge is: its
 * types may change in any release. The connector's API names none of them.
 */
package io.vchan.bridge.ring;
