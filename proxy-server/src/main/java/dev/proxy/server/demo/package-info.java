/** The demo backends {@code --demo} starts, so the bundled config serves real traffic with no other setup. */
package dev.proxy.server.demo;
