package dev.clipengine.spark;

import org.apache.hadoop.fs.RawLocalFileSystem;

import java.net.URI;

/**
 * The local disk under another scheme ({@code testfs:///tmp/x} is {@code /tmp/x}): to Hadoop and to
 * the job it is a remote file system, so the tests take the paths HDFS and S3 take (bytes through
 * {@code FileSystem}, outputs copied to a temporary name and renamed) without a cluster.
 */
public class LocalAsRemoteFs extends RawLocalFileSystem {

    static final String SCHEME = "testfs";

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }
}
