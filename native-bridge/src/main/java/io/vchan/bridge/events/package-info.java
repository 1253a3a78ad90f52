/**
 * The threads that wait for the platform: the event loop that dispatches each
 * port's events to its endpoint ({@link io.vchan.bridge.events.EventLoop}), and one
 * XenStore watch connection per local domain ({@link io.vchan.bridge.events.StoreWatches}),
 * also for noticing a destroyed peer domain.
 *
 * <p>Internal API for users of the connector, as the whole native bridge is: its
 * types may change in any release. The connector's API names none of them.
 */
package io.vchan.bridge.events;
