namespace Samsa.Protocol.Records;

/// <summary>The type field of a control record's key (Kafka's ControlRecordType).</summary>
public enum ControlRecordType : short
{
    /// <summary>A type code this version does not know; consumers skip such records.</summary>
    Unknown = -1,

    Abort = 0,
    Commit = 1,

    /// <summary>KRaft metadata-log records; never written by Samsa, recognised so they are not misread.</summary>
    LeaderChange = 2,
    SnapshotHeader = 3,
    SnapshotFooter = 4,
}
