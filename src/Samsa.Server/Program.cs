// The broker executable arrives with the standalone-broker issue; until then it says so plainly.
Console.Error.WriteLine("Samsa.Server: the broker is not built yet (see issue 5, standalone broker).");
return 1;
