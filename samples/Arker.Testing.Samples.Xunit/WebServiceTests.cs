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

    /// <summary>Starts the service in the background on the VM's port 8080, waits until it answers, and exposes it.</summary>
    private async Task<Uri> StartServiceAsync()
    {
        // A service, not a command: its output is kept (and attached should the test fail), and
        // readiness is waited for, never slept for; a service that exits fails the wait at once.
        VmService web = await Vm.StartServiceAsync("python3 apps/notes_web.py 8080", "notes-web", CancellationToken);
        await web.WaitForHttpAsync(8080, "/notes", TimeSpan.FromSeconds(10), CancellationToken);
        return await Vm.ExposePortAsync(8080, CancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await base.DisposeAsync();
    }
}
