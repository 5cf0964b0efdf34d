using CsCheck;
using Samsa.Coordination.Embedded;

namespace Samsa.Coordination.Tests.Embedded;

/// <summary>
/// Random sequences of operations on a small tree, run against the store and against a plain
/// dictionary model of ZooKeeper's rules; results, errors and the final tree must agree, before and
/// after a reopen.
/// </summary>
public sealed class ModelBasedTests
{
    private static readonly string[] Paths = ["/a", "/b", "/a/x", "/a/y", "/b/x", "/a/x/z"];

    [Fact]
    public void Store_agrees_with_a_dictionary_model()
    {
        Gen<(int Kind, int Path, int Version, byte Data)> operation =
            Gen.Select(Gen.Int[0, 5], Gen.Int[0, Paths.Length - 1], Gen.Int[-1, 2], Gen.Byte);

        operation.Array[1, 40].Sample(operations =>
        {
            RunAsync(operations).GetAwaiter().GetResult();
        }, iter: 60);
    }

    private static async Task RunAsync((int Kind, int Path, int Version, byte Data)[] operations)
    {
        await using StoreFixture f = new(transactionsPerSnapshot: 7);
        Model model = new();
        foreach ((int kind, int pathIndex, int version, byte data) in operations)
        {
            string path = Paths[pathIndex];
            CoordinationError expected = kind switch
            {
                0 => model.Create(path, data, ephemeral: false),
                1 => model.Create(path, data, ephemeral: true),
                2 => model.Delete(path, version),
                3 => model.SetData(path, data, version),
                _ => CoordinationError.Ok,
            };

            CoordinationError actual = CoordinationError.Ok;
            try
            {
                switch (kind)
                {
                    case 0:
                    case 1:
                        await f.Store.CreateAsync(path, new[] { data }, kind == 0 ? CreateMode.Persistent : CreateMode.Ephemeral);
                        break;
                    case 2:
                        await f.Store.DeleteAsync(path, version);
                        break;
                    case 3:
                        await f.Store.SetDataAsync(path, new[] { data }, version);
                        break;
                    case 4:
                        // A two-op multi: a check of the version, then a set; all or nothing.
                        await f.Store.MultiAsync([CoordinationOp.Check(path, version), CoordinationOp.SetData(path, new[] { data }, -1)]);
                        break;
                    default:
                        await f.ReopenAsync();
                        break;
                }
            }
            catch (CoordinationException e)
            {
                actual = e.Error;
            }

            if (kind == 4)
            {
                expected = model.Check(path, version);
                if (expected == CoordinationError.Ok)
                {
                    model.SetData(path, data, -1);
                }
            }
            else if (kind == 5)
            {
                model.DropEphemerals();
            }

            Assert.Equal(expected, actual);
        }

        await model.AssertSameAsync(f.Store);
        await f.ReopenAsync();
        model.DropEphemerals();
        await model.AssertSameAsync(f.Store);
    }

    private sealed class Model
    {
        private readonly Dictionary<string, (byte Data, int Version, bool Ephemeral)> _nodes = [];

        public CoordinationError Create(string path, byte data, bool ephemeral)
        {
            string parent = Parent(path);
            if (parent != "/" && !_nodes.ContainsKey(parent))
            {
                return CoordinationError.NoNode;
            }

            if (_nodes.ContainsKey(path))
            {
                return CoordinationError.NodeExists;
            }

            if (parent != "/" && _nodes[parent].Ephemeral)
            {
                return CoordinationError.NoChildrenForEphemerals;
            }

            _nodes[path] = (data, 0, ephemeral);
            return CoordinationError.Ok;
        }

        public CoordinationError Delete(string path, int version)
        {
            CoordinationError check = Check(path, version);
            if (check != CoordinationError.Ok)
            {
                return check;
            }

            if (_nodes.Keys.Any(p => Parent(p) == path))
            {
                return CoordinationError.NotEmpty;
            }

            _nodes.Remove(path);
            return CoordinationError.Ok;
        }

        public CoordinationError SetData(string path, byte data, int version)
        {
            CoordinationError check = Check(path, version);
            if (check == CoordinationError.Ok)
            {
                _nodes[path] = (data, _nodes[path].Version + 1, _nodes[path].Ephemeral);
            }

            return check;
        }

        public CoordinationError Check(string path, int version)
        {
            if (!_nodes.TryGetValue(path, out (byte Data, int Version, bool Ephemeral) node))
            {
                return CoordinationError.NoNode;
            }

            return version != -1 && version != node.Version ? CoordinationError.BadVersion : CoordinationError.Ok;
        }

        public void DropEphemerals()
        {
            foreach (string path in _nodes.Where(n => n.Value.Ephemeral).Select(n => n.Key).ToList())
            {
                _nodes.Remove(path);
            }
        }

        public async Task AssertSameAsync(EmbeddedCoordinationStore store)
        {
            foreach (string path in Paths)
            {
                NodeData? actual = await store.GetDataAsync(path);
                if (_nodes.TryGetValue(path, out (byte Data, int Version, bool Ephemeral) expected))
                {
                    Assert.NotNull(actual);
                    Assert.Equal([expected.Data], actual.Data.ToArray());
                    Assert.Equal(expected.Version, actual.Stat.Version);
                    Assert.Equal(expected.Ephemeral, actual.Stat.EphemeralOwner != 0);
                    int children = _nodes.Keys.Count(p => Parent(p) == path);
                    Assert.Equal(children, actual.Stat.NumChildren);
                }
                else
                {
                    Assert.Null(actual);
                }
            }
        }

        private static string Parent(string path)
        {
            int slash = path.LastIndexOf('/');
            return slash == 0 ? "/" : path[..slash];
        }
    }
}
