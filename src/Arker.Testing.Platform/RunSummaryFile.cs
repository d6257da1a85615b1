using System.Text.Json;
using Arker.Testing.Fixtures;

namespace Arker.Testing.Platform;

/// <summary>A run's summary as JSON, for CI dashboards and people reading test results.</summary>
internal static class RunSummaryFile
{
    public static async Task WriteAsync(FileInfo file, ArkerRunSummary summary)
    {
        string temporary = file.FullName + ".tmp";
        await using (FileStream stream = File.Create(temporary))
        await using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("run_id", summary.RunId);
            json.WriteNumber("vms_created", summary.VmsCreated);
            json.WriteNumber("test_forks", summary.TestForks);
            json.WriteNumber("bases_provisioned", summary.BasesProvisioned);
            json.WriteNumber("bases_from_cache", summary.BasesFromCache);
            json.WriteStartArray("templates_from_cache");
            foreach (string template in summary.TemplatesFromCache)
            {
                json.WriteStringValue(template);
            }

            json.WriteEndArray();
            json.WriteStartObject("provisioned_again"); // template: what changed since its kept base was provisioned
            foreach ((string template, string why) in summary.ProvisionedAgain)
            {
                json.WriteString(template, why);
            }

            json.WriteEndObject();
            WriteOptional(json, "fork_p50_ms", summary.MedianForkTime?.TotalMilliseconds);
            WriteOptional(json, "vm_wait_p50_ms", summary.MedianVmWait?.TotalMilliseconds);
            WriteOptional(json, "vm_wait_longest_ms", summary.LongestVmWait?.TotalMilliseconds);
            WriteOptional(json, "provisioning_p50_s", summary.MedianProvisioningTime?.TotalSeconds);
            json.WriteNumber("vm_seconds", Math.Round(summary.VmTime.TotalSeconds, 3));
            json.WriteNumber("kept_for_failed_tests", summary.KeptForFailedTests);
            json.WriteNumber("left_behind", summary.LeftBehind);
            json.WriteString("unavailable", summary.UnavailableReason);
            json.WriteString("summary", summary.ToString());
            json.WriteEndObject();
        }

        File.Move(temporary, file.FullName, overwrite: true);
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, Math.Round(number, 3));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
