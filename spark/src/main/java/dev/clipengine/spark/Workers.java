package dev.clipengine.spark;

import org.apache.spark.SparkEnv;

import java.net.InetAddress;

/** Names the JVM a row was computed in, for the table and the logs. */
final class Workers {

    private Workers() {
    }

    static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "unknown-host";
        }
    }

    /** {@code executor 1 @ host (pid 1234)}; the driver's own tasks in local mode say {@code driver}. */
    static String describe() {
        SparkEnv env = SparkEnv.get();
        String id = env == null ? "no-spark-env" : env.executorId();
        return (id.equals("driver") ? "driver" : "executor " + id) + " @ " + host() + " (pid " + ProcessHandle.current().pid() + ")";
    }
}
