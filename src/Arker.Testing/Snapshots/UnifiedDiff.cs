using System.Text;

namespace Arker.Testing.Snapshots;

/// <summary>A unified diff of two texts, line by line (longest common subsequence; snapshots are small).</summary>
internal static class UnifiedDiff
{
    private const int Context = 3;

    public static string Create(string expected, string actual, string expectedName, string actualName)
    {
        string[] a = expected.Split('\n');
        string[] b = actual.Split('\n');
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        {
            for (int j = b.Length - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        // The edit script: ' ' kept, '-' only expected, '+' only actual.
        var script = new List<(char Kind, string Line, int A, int B)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                script.Add((' ', a[x], x++, y++));
            }
            else if (x < a.Length && (y == b.Length || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                script.Add(('-', a[x], x++, y));
            }
            else
            {
                script.Add(('+', b[y], x, y++));
            }
        }

        var text = new StringBuilder().Append("--- ").AppendLine(expectedName).Append("+++ ").AppendLine(actualName);
        for (int start = 0; start < script.Count;)
        {
            int change = script.FindIndex(start, s => s.Kind != ' ');
            if (change < 0)
            {
                break;
            }

            int from = Math.Max(start, change - Context);
            int end = change;
            for (int k = change; k < script.Count; k++)
            {
                if (script[k].Kind != ' ')
                {
                    end = k;
                }
                else if (k - end > 2 * Context)
                {
                    break;
                }
            }

            int to = Math.Min(script.Count, end + Context + 1);
            var hunk = script.GetRange(from, to - from);
            text.Append("@@ -").Append(hunk[0].A + 1).Append(',').Append(hunk.Count(h => h.Kind != '+'))
                .Append(" +").Append(hunk[0].B + 1).Append(',').Append(hunk.Count(h => h.Kind != '-')).AppendLine(" @@");
            foreach ((char kind, string line, _, _) in hunk)
            {
                text.Append(kind).AppendLine(line);
            }

            start = to;
        }

        return text.ToString();
    }
}
