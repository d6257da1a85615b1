using Arker.Testing.Snapshots;

namespace Arker.Testing.Unit.Tests.Core;

/// <summary>What a test changed below a directory, from two listings: created, modified, deleted, each sorted.</summary>
public sealed class ChangeReportTests
{
    [Fact]
    public void Created_modified_and_deleted_files_are_reported_in_that_order()
    {
        string before = "a.txt  3 bytes  aaaa\nb.txt  3 bytes  bbbb\nlink -> a.txt\nold.txt  1 bytes  cccc\n";
        string after = "a.txt  3 bytes  aaaa\nb.txt  4 bytes  dddd\nlink -> b.txt\nz.txt  1 bytes  eeee\nnew.txt  2 bytes  ffff\n";

        string report = ChangeReport.Create("/home/user/app", before, after);

        Assert.Equal("""
            changes below /home/user/app:
            created  new.txt  2 bytes  ffff
            created  z.txt  1 bytes  eeee
            modified b.txt  4 bytes  dddd
            modified link -> b.txt
            deleted  old.txt

            """.ReplaceLineEndings("\n"), report);
    }

    [Fact]
    public void No_change_says_none() =>
        Assert.Equal("changes below /srv:\n(none)\n", ChangeReport.Create("/srv", "a  1 bytes  x\n", "a  1 bytes  x\n"));
}
