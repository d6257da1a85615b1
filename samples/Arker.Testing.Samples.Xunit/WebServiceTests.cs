using System.Net;
using System.Net.Http.Json;

namespace Arker.Testing.Samples.Xunit;

/// <summary>
/// A web service running in the VM, tested over HTTP from the test: each test starts it in its own
/// fork and calls it at the URL <see cref="Computer.ExposePortAsync"/> gives.
/// </summary>
[ArkerVm(typeof(WebAppsMachine))]
public sealed class WebServiceTests : ArkerTest
{
    private readonly HttpClient _http = new();

    [Fact]
    public async Task PostedNotes_AreListed_InOrder()
    {
        Uri service = await StartServiceAsync();

        using HttpResponseMessage created = await _http.PostAsync(new Uri(service, "notes"), new StringContent("buy milk"), CancellationToken);
        await _http.PostAsync(new Uri(service, "notes"), new StringContent("call mum"), CancellationToken);
        string[] notes = await _http.GetFromJsonAsync<string[]>(new Uri(service, "notes"), CancellationToken) ?? [];

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(["buy milk", "call mum"], notes);
    }

    [Fact]
    public async Task AnEmptyNote_IsRefused_AndAnUnknownPath_IsNotFound()
    {
        Uri service = await StartServiceAsync();

        using HttpResponseMessage empty = await _http.PostAsync(new Uri(service, "notes"), new StringContent("  "), CancellationToken);
        using HttpResponseMessage unknown = await _http.GetAsync(new Uri(service, "nowhere"), CancellationToken);

        string[] notes = await _http.GetFromJsonAsync<string[]>(new Uri(service, "notes"), CancellationToken) ?? ["(no answer)"];

        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Empty(notes); // a fresh service in each fork
    }

    /// <summary>Starts the service in the background on the VM's port 8080, waits until it listens, and exposes it.</summary>
    private async Task<Uri> StartServiceAsync()
    {
        // Not `exit`: a command that ends its session's shell ends the processes it started too.
        const string StartAndWait = """
            (python3 apps/notes_web.py 8080 > notes-web.log 2>&1 &)
            for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null && break; sleep 0.05; done
            (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null || { cat notes-web.log; false; }
            """;
        (await Vm.RunAsync(StartAndWait, CancellationToken)).ShouldSucceed();
        return await Vm.ExposePortAsync(8080, CancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await base.DisposeAsync();
    }
}
