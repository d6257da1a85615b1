using System.Net;
using System.Net.Http.Json;

namespace Arker.Testing.Samples.NUnit;

/// <summary>
/// A web service running in the VM, tested over HTTP from the test: each test starts it in its own
/// fork and calls it at the URL <see cref="Computer.ExposePortAsync"/> gives.
/// </summary>
[ArkerVm(typeof(WebAppsMachine))]
[Parallelizable(ParallelScope.All)]
public sealed class WebServiceTests : ArkerTest
{
    private static readonly HttpClient Http = new();

    [Test]
    public async Task PostedNotes_AreListed_InOrder()
    {
        Uri service = await StartServiceAsync();

        using HttpResponseMessage created = await Http.PostAsync(new Uri(service, "notes"), new StringContent("buy milk"), CancellationToken);
        using HttpResponseMessage second = await Http.PostAsync(new Uri(service, "notes"), new StringContent("call mum"), CancellationToken);
        string[] notes = await Http.GetFromJsonAsync<string[]>(new Uri(service, "notes"), CancellationToken) ?? [];

        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(notes, Is.EqualTo((string[])["buy milk", "call mum"]));
    }

    [Test]
    public async Task AnEmptyNote_IsRefused_AndAnUnknownPath_IsNotFound()
    {
        Uri service = await StartServiceAsync();

        using HttpResponseMessage empty = await Http.PostAsync(new Uri(service, "notes"), new StringContent("  "), CancellationToken);
        using HttpResponseMessage unknown = await Http.GetAsync(new Uri(service, "nowhere"), CancellationToken);
        string[] notes = await Http.GetFromJsonAsync<string[]>(new Uri(service, "notes"), CancellationToken) ?? ["(no answer)"];

        Assert.That(empty.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(notes, Is.Empty); // a fresh service in each fork
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
}
